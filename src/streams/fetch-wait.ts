/**
 * How long a fetch may wait for records before answering empty, ms: Kafka's own consumer default
 * (fetch.max.wait.ms). kafkajs waits for the fetch in flight before a consumer disconnects, so this
 * is also what an idle consumer adds to a graceful stop, a finished restore or a finished replay;
 * kafkajs' own default (5 s) made each of those take five seconds.
 */
export const fetchMaxWaitMs = 500;
