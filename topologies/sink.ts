import type { Schema } from 'avsc';
import type { EnrichedBiometricEvent } from '../src/events/index.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { StreamsBuilder, serdes, type AvroSchemaStore, type Serde, type Topology, type WithSchemaId } from '../src/streams/index.ts';
import { toEventRow, type EventWriter } from '../src/sink/index.ts';
import { topics } from '../src/topics.ts';

export interface SinkOptions {
  readonly schemaStore: AvroSchemaStore;
  /** Batched, idempotent writer (createEventWriter) behind the Postgres breaker. */
  readonly writer: EventWriter;
  /** Tests run the stage on their own topics and group, beside the real one. */
  readonly sourceTopic?: string;
  readonly groupId?: string;
  readonly deadLetterTopic?: string;
  /**
   * Partitions whose chunks are written at once. Each write holds one pooled connection, so the
   * pool bounds it; bench:sink measured 6 partitions at once ~30 % faster than the runner's 3.
   */
  readonly maxConcurrentWrites?: number;
  /** Rows per write (one COPY and one INSERT), i.e. per offset commit (SINK_BATCH_MAX). */
  readonly maxBatchRecords?: number;
}

/** Avro `EnrichedBiometricEvent`, with the writer's schema id kept for the schema_id column. */
function enrichedEventSerde(store: AvroSchemaStore): Serde<WithSchemaId<EnrichedBiometricEvent>> {
  return serdes.avroWithSchemaId<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
}

/**
 * biometric.enriched → Postgres `biometric_events`, one transaction per chunk. The runner
 * commits a chunk's offsets (and dead letters) only after the write resolved (rows durable); a
 * Postgres outage pauses the partitions through the breaker instead of dead-lettering.
 */
export function sinkStage(options: SinkOptions): Topology {
  const builder = new StreamsBuilder('sink', {
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
  });
  builder.stream('enriched-events', { topics: [options.sourceTopic ?? topics.enriched], key: serdes.string(), value: enrichedEventSerde(options.schemaStore) }).toStore(
    'insert-biometric-events',
    {
      write: (records) =>
        options.writer.write(
          records.map((record) => toEventRow(record.value.value, { topic: record.topic, partition: record.partition, offset: record.offset, schemaId: record.value.schemaId })),
        ),
    },
    {
      ...(options.maxConcurrentWrites ? { maxInFlight: options.maxConcurrentWrites } : {}),
      ...(options.maxBatchRecords ? { maxBatch: options.maxBatchRecords } : {}),
    },
  );
  return builder.build();
}
