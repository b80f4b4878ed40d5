import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { OutgoingRecord } from './record.ts';

/**
 * A transaction begun right after a commit gets CONCURRENT_TRANSACTIONS until the coordinator has
 * written the previous one's markers, a few ms. kafkajs's default first retry waits 300 ms, so
 * most transactions waited that long (the Java client retries this after 20 ms). Retries stay
 * unlimited, as kafkajs has them for idempotent producers (a send that gave up mid-sequence could
 * break exactly-once); each wait doubles up to kafkajs's 30 s.
 */
const transactionalRetry = { initialRetryTime: 20, retries: Number.MAX_SAFE_INTEGER };

/** acks=all and idempotence: an acknowledged output is on every in-sync replica, once. */
export function reliableProducer(kafka: Kafka, transactionalId?: string): Producer {
  return kafka.producer({
    idempotent: true,
    // Idempotence keeps order only with one request in flight per connection in kafkajs.
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2: same key → same partition as other clients
    // A process that dies mid-transaction holds its partitions' offsets and its outputs' last
    // stable offset until the coordinator aborts the transaction: 10 s, as Kafka Streams sets it
    // (a restart under the same group.instance.id aborts it at once).
    ...(transactionalId ? { transactionalId, transactionTimeout: 10_000, retry: transactionalRetry } : {}),
  });
}

/** Groups outputs by topic, keeping their order, for one sendBatch. */
export function toTopicMessages(records: readonly OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic) ?? [];
    // One shape whether a partition is set (a changelog's) or not (kafkajs partitions by key when it is undefined):
    // a changelog's records after a chunk's outputs sent the optimized loop back to the interpreter, every chunk.
    messages.push({ key: record.key, value: record.value, headers: record.headers, timestamp: String(record.timestamp), partition: record.partition });
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
