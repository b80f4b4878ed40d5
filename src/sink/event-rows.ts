import type { EnrichedBiometricEvent } from '../events/index.ts';
import { headlineFields } from '../events/index.ts';

/** Where a row's record came from, kept for audits and replays (DESIGN.md §8). */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Registry id of the writer schema, when the value was Avro. */
  readonly schemaId: number | null;
}

/** One `biometric_events` row, with values already in the shape the INSERT binds. */
export interface EventRow {
  readonly eventId: string;
  readonly userId: string;
  readonly source: string;
  readonly dataType: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly metrics: string;
  readonly triggers: string;
  readonly priority: string;
  readonly schemaId: number | null;
  readonly srcTopic: string;
  readonly srcPartition: number;
  readonly srcOffset: string;
}

/**
 * `metrics` holds the headline values that are present plus every reading, so the row keeps all
 * the event measured without a column per metric.
 */
export function toEventRow(enriched: EnrichedBiometricEvent, position: SourcePosition): EventRow {
  const { event } = enriched;
  const headlines: Record<string, number> = {};
  for (const field of headlineFields) {
    const value = event[field];
    if (value !== null && value !== undefined) headlines[field] = value;
  }
  return {
    eventId: event.eventId,
    userId: event.userId,
    source: event.source,
    dataType: event.dataType,
    occurredAt: new Date(event.occurredAt).toISOString(),
    receivedAt: new Date(event.receivedAt).toISOString(),
    metrics: JSON.stringify({ ...headlines, deviceType: event.deviceType, readings: event.readings }),
    triggers: JSON.stringify(enriched.triggers),
    priority: enriched.priority,
    schemaId: position.schemaId,
    srcTopic: position.topic,
    srcPartition: position.partition,
    srcOffset: position.offset,
  };
}
