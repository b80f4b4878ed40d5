import type { OutgoingRecord, RawRecord } from './record.ts';

export interface DeadLetterCause {
  node: string;
  reason: string;
  detail: string;
  attempts: number;
}

/** The headers docs/design.md §2 promises on every dead letter. */
export const deadLetterHeaders = ['dlq-reason', 'dlq-detail', 'dlq-source', 'dlq-attempts', 'dlq-failed-at'] as const;

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
      'dlq-reason': cause.reason,
      'dlq-detail': cause.detail,
      'dlq-source': `${raw.topic}/${raw.partition}/${raw.offset}`,
      'dlq-attempts': String(cause.attempts),
      'dlq-failed-at': String(now),
      'dlq-node': cause.node,
    },
  };
}
