/**
 * True when a Kafka client error means "not there yet": the broker is down or restarting, a topic
 * created a moment ago has no leader, a coordinator is still loading. kafkajs marks such answers
 * retriable; once its own retries run out it wraps the last one (KafkaJSNumberOfRetriesExceeded,
 * not retriable itself), so the chain of causes is read too. Start-up waits on these instead of
 * exiting (docs/design.md §9); anything else (a configuration or programming error) stops it.
 */
export function isKafkaUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if ((current as { retriable?: unknown }).retriable === true) return true;
  }
  return false;
}
