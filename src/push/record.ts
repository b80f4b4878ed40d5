import type { EnrichedBiometricEvent } from '../events/index.ts';
import type { Priority } from '../topics.ts';

/** One record of a priority topic, decoded, with the place it was read from. */
export interface RoutedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record key: route keys every record by user id. */
  readonly userId: string;
  readonly priority: Priority;
  readonly enriched: EnrichedBiometricEvent;
  /** When route wrote it (the record timestamp), ms since epoch. */
  readonly routedAt: number;
}

/** What a client receives: an id to resume from and a JSON body. */
export interface Frame {
  readonly kind: 'event' | 'ready';
  /** The client's cursor after this frame (encodeCursor). */
  readonly id: string;
  readonly data: string;
}

/** The body of an `event` frame: the user's own triggers and event, nothing of anybody else. */
export function eventBody(record: RoutedRecord): string {
  const { event, triggers, enrichedAt } = record.enriched;
  return JSON.stringify({ priority: record.priority, triggers, event, enrichedAt, routedAt: record.routedAt });
}
