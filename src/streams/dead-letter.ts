import type { OutgoingRecord, RawRecord } from './record.ts';

export interface DeadLetterCause {
  node: string;
  reason: string;
  detail: string;
  attempts: number;
}

/**
 * The headers written on every dead letter (docs/design.md §2), the one definition the runtime,
 * `bridge dlq` and the tests read. Every name starts with `dlq-`, so a redrive strips them all.
 */
export const dlqHeaders = {
  /** Machine code, e.g. `bad_signature`. */
  reason: 'dlq-reason',
  /** Human text without PHI. */
  detail: 'dlq-detail',
  /** `topic/partition/offset` of the input record. */
  source: 'dlq-source',
  /** Attempts made, retries included. */
  attempts: 'dlq-attempts',
  /** Milliseconds since the epoch. */
  failedAt: 'dlq-failed-at',
  /** The graph node that failed (a step, a serde's source or sink, a store). */
  node: 'dlq-node',
} as const;

/** What every dead-letter header name starts with; a redrive removes them by it. */
export const dlqHeaderPrefix = 'dlq-';

/** Every dead-letter header name, in the order of `dlqHeaders`. */
export const deadLetterHeaders = Object.values(dlqHeaders);

/**
 * The input record unchanged (same key and value bytes, original headers and timestamp) plus
 * the dlq-* headers, so a redrive can put it back on its source topic as it was.
 */
export function deadLetterFor(raw: RawRecord, cause: DeadLetterCause, topic: string, now = Date.now()): OutgoingRecord {
  return {
    topic,
    key: raw.key,
    value: raw.value,
    timestamp: raw.timestamp,
    node: 'dead-letter',
    headers: {
      ...raw.headers,
      [dlqHeaders.reason]: cause.reason,
      [dlqHeaders.detail]: cause.detail,
      [dlqHeaders.source]: `${raw.topic}/${raw.partition}/${raw.offset}`,
      [dlqHeaders.attempts]: String(cause.attempts),
      [dlqHeaders.failedAt]: String(now),
      [dlqHeaders.node]: cause.node,
    },
  };
}
