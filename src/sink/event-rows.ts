import { headlineValues, type EnrichedBiometricEvent, type HeadlineField, type Reading, type Trigger } from '../events/index.ts';

/** Where a row's record came from, kept for audits and replays (docs/design.md §8). */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Registry id of the writer schema, when the value was Avro. */
  readonly schemaId: number | null;
}

/**
 * The `metrics` jsonb: headline values, the device type and every reading. An absent headline
 * value is `undefined`, which JSON leaves out, so the stored document holds only what was measured.
 */
export type EventMetrics = { readonly [K in HeadlineField]: number | undefined } & {
  readonly deviceType: string | null;
  readonly readings: readonly Reading[];
};

/**
 * One `biometric_events` row. The writer sends a whole chunk as one JSON document, so jsonb
 * columns stay plain values here (serialised once with the chunk, not once per row), and times
 * stay epoch milliseconds that the INSERT converts: formatting two ISO strings per row in
 * JavaScript cost more than all the rest of the row (about 6 µs of 12).
 */
export interface EventRow {
  readonly eventId: string;
  readonly userId: string;
  readonly source: string;
  readonly dataType: string;
  /** Epoch milliseconds. */
  readonly occurredAt: number;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly metrics: EventMetrics;
  readonly triggers: readonly Trigger[];
  readonly priority: string;
  readonly schemaId: number | null;
  readonly srcTopic: string;
  readonly srcPartition: number;
  readonly srcOffset: string;
  /** Epoch milliseconds of the vendor's deletion (an `op: DELETE` event), else null. */
  readonly deletedAt: number | null;
}

/**
 * `metrics` holds the headline values that are present plus every reading, so the row keeps all
 * the event measured without a column per metric. Every row has the same shape (one hidden class
 * for the whole chunk), which keeps building and serialising it cheap.
 */
export function toEventRow(enriched: EnrichedBiometricEvent, position: SourcePosition): EventRow {
  const { event } = enriched;
  return {
    eventId: event.eventId,
    userId: event.userId,
    source: event.source,
    dataType: event.dataType,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    metrics: {
      ...headlineValues(event, undefined),
      deviceType: event.deviceType,
      readings: event.readings,
    },
    triggers: enriched.triggers,
    priority: enriched.priority,
    schemaId: position.schemaId,
    srcTopic: position.topic,
    srcPartition: position.partition,
    srcOffset: position.offset,
    deletedAt: event.op === 'DELETE' ? event.receivedAt : null,
  };
}
