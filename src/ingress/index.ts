/** The webhook ingress: HTTP in, raw records out, 202 only after Kafka's ack. */
export { createIngress, type Ingress, type IngressOptions } from './server.ts';
export { createKafkaRawSink, RecordTooLargeError, SinkUnavailableError, type RawSink, type KafkaRawSinkOptions } from './raw-sink.ts';
export { createIngressMetrics, type IngressMetrics } from './metrics.ts';
export { ingressSettings } from './settings.ts';
export { checkRawTopicLimits, RawTopicLimitError } from './raw-topic-limits.ts';
