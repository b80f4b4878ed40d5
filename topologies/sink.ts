import avsc, { type Schema } from 'avsc';
import type { EnrichedBiometricEvent } from '../src/events/index.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { batchSink, type BatchSink } from '../src/streams/batch-sink.ts';
import { RecordError, serdes, type AvroSchemaStore, type Serde } from '../src/streams/index.ts';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { createEventWriter, createPostgresBreaker, isPostgresUnavailable, migrate, toEventRow, type EventWriter } from '../src/sink/index.ts';
import { topics } from '../src/topics.ts';
import type { StageResources } from './index.ts';

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
  /** Rows per multi-row INSERT, i.e. per offset commit (SINK_BATCH_MAX). */
  readonly maxBatchRecords?: number;
}

/** The decoded event plus the registry id it was written with, for the schema_id column. */
export interface WithSchemaId<T> {
  readonly schemaId: number | null;
  readonly value: T;
}

const wireHeaderBytes = 5; // magic byte 0 + 4-byte big-endian schema id (Confluent wire format)

/**
 * The stage's value serde: Avro in Confluent wire format, decoded into the current
 * EnrichedBiometricEvent schema, plus the writer's schema id for the schema_id column. Once a
 * writer schema id has been seen its resolver is kept and later records decode synchronously:
 * the sink reads hundreds of thousands of records per writer schema, and a promise per record was
 * a large share of the decode cost. Encoding (tests, tools) goes through the shared Avro serde.
 */
function enrichedEventSerde(store: AvroSchemaStore): Serde<WithSchemaId<EnrichedBiometricEvent>> {
  const schema = bridgeSchemas().EnrichedBiometricEvent.json as Schema;
  const inner = serdes.avro<EnrichedBiometricEvent>({ store, schema });
  const reader = avsc.Type.forSchema(schema);
  // Writer id → resolver into the reader schema (null: the writer is the reader schema).
  const resolvers = new Map<number, avsc.Resolver | null>();
  const pending = new Map<number, Promise<avsc.Resolver | null>>();

  const resolverFor = (id: number): Promise<avsc.Resolver | null> => {
    let resolver = pending.get(id);
    if (!resolver) {
      // Unknown or unreachable ids reject with the store's RecordError or DependencyUnavailableError,
      // and are asked again by the next record.
      resolver = store.writerType(id).then((writer) => (writer.equals(reader) ? null : reader.createResolver(writer)));
      pending.set(id, resolver);
      resolver.then(
        (settled) => resolvers.set(id, settled),
        () => undefined,
      ).finally(() => pending.delete(id));
    }
    return resolver;
  };
  const read = (data: Buffer, id: number, resolver: avsc.Resolver | null): WithSchemaId<EnrichedBiometricEvent> => {
    try {
      const body = data.subarray(wireHeaderBytes);
      return { schemaId: id, value: (resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body)) as EnrichedBiometricEvent };
    } catch (error) {
      throw new RecordError('deserialization_failed', `payload does not decode with schema id ${id}`, { cause: error });
    }
  };

  return {
    name: inner.name,
    serialize: (value, topic) => inner.serialize(value.value, topic),
    deserialize(data) {
      if (data === null || data.length < wireHeaderBytes || data[0] !== 0) {
        throw new RecordError('deserialization_failed', 'payload is not in Confluent Avro wire format');
      }
      const id = data.readInt32BE(1);
      const resolver = resolvers.get(id);
      if (resolver !== undefined) return read(data, id, resolver);
      return resolverFor(id).then((found) => read(data, id, found));
    },
  };
}

/**
 * biometric.enriched → Postgres `biometric_events`, one multi-row insert per chunk. Offsets are
 * committed by the batch-sink runner only after the insert resolved (rows durable); a Postgres
 * outage pauses the partitions through the breaker instead of dead-lettering.
 */
export function sinkStage(options: SinkOptions): BatchSink<string | null, WithSchemaId<EnrichedBiometricEvent>> {
  const value = enrichedEventSerde(options.schemaStore);
  return batchSink({
    name: 'sink',
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
    source: { name: 'enriched-events', topics: [options.sourceTopic ?? topics.enriched], key: serdes.string(), value },
    writer: {
      name: 'insert-biometric-events',
      ...(options.maxConcurrentWrites ? { maxConcurrentWrites: options.maxConcurrentWrites } : {}),
      ...(options.maxBatchRecords ? { maxBatchRecords: options.maxBatchRecords } : {}),
      async write(records) {
        await options.writer.write(
          records.map((record) =>
            toEventRow(record.value.value, { topic: record.topic, partition: record.partition, offset: record.offset, schemaId: record.value.schemaId }),
          ),
        );
      },
    },
  });
}

/**
 * `bridge run sink`: applies the migrations (waiting, with a bounded and logged retry, for
 * Postgres to answer), then builds the stage on the process's bounded pool (PG_POOL_MAX).
 */
export async function sinkStageFor(resources: StageResources): Promise<BatchSink<string | null, WithSchemaId<EnrichedBiometricEvent>>> {
  const pool = resources.pgPool();
  const startup = retry(handleWhen(isPostgresUnavailable), { maxAttempts: 20, backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 5_000 }) });
  startup.onRetry((reason) => {
    const error = 'error' in reason ? reason.error : undefined;
    resources.log.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'waiting for postgres to apply migrations');
  });
  const { applied } = await startup.execute(() => migrate({ pool }));
  resources.log.info({ applied }, 'migrations up to date');
  const breaker = createPostgresBreaker({ halfOpenAfterMs: resources.config.PG_BREAKER_HALF_OPEN_MS });
  breaker.onStateChange((state) => resources.log.warn({ dependency: 'postgres', state }, 'postgres circuit breaker changed state'));
  return sinkStage({
    schemaStore: resources.schemaStore(),
    writer: createEventWriter({ pool, breaker }),
    maxConcurrentWrites: resources.config.PG_POOL_MAX,
    maxBatchRecords: resources.config.SINK_BATCH_MAX,
  });
}
