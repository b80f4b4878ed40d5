/**
 * The stream runtime: Kafka Streams-style topologies on kafkajs. Knows nothing of biometrics.
 *
 * A topology is built with a small DSL of named steps, compiled to a graph you can print
 * (`describe()`), run on Kafka (`runTopology`) or run in memory (`TopologyTestDriver`, from
 * `src/streams/testing/index.ts`). Steps signal failures by what they throw (see errors.ts):
 * `RecordError` → dead letter in `dlq.<name>`; `DependencyUnavailableError` → pause the
 * partition; anything else → retried with backoff, then dead-lettered.
 *
 * @example
 * ```ts
 * import { StreamsBuilder, serdes, RecordError, runTopology } from '../src/streams/index.ts';
 *
 * const builder = new StreamsBuilder('verify'); // group bridge.verify, dead letters dlq.verify
 * const verified = builder
 *   .stream('raw-webhooks', { topics: [/^raw\./], key: serdes.string(), value: serdes.bytes() })
 *   .mapAsync('check-signature', async (record, ctx) => {
 *     if (!(await signatureOk(record))) throw new RecordError('bad_signature', 'no secret matched');
 *     return { ...record, key: `oura:${userIdOf(record)}` };
 *   })
 *   .filter('drop-replays', async (record) => firstDelivery(record));
 * verified.to('verified', { topic: (r) => r.topic.replace('raw.', 'verified.'), key: serdes.string(), value: serdes.bytes() });
 * const topology = builder.build();
 *
 * // A stage that ends in a store: one idempotent multi-row write per chunk, offsets after it.
 * const sink = new StreamsBuilder('sink');
 * sink.stream('enriched', { topics: ['biometric.enriched'], key: serdes.string(), value })
 *   .toStore('insert-rows', { write: (records) => writer.write(records.map(toRow)) }, { maxBatch: 2_000, maxInFlight: 20 });
 *
 * // A stage whose steps wait on slow lookups: 64 records of a partition at once, each key in order.
 * const hydrate = new StreamsBuilder('hydrate', { recordConcurrency: 64 });
 * console.log(topology.describe().toString());
 *
 * const running = await runTopology(topology, { kafka, delivery: 'exactly-once', log, events });
 * await running.stop(); // or stopOnSignals(running.stop, log)
 * ```
 *
 * Notes for stage authors:
 * - Every node needs a unique name; it labels logs (`ctx.log` is bound to it) and metrics.
 * - A record's outputs are written only after the whole graph succeeded for it, so a retried
 *   record never leaves half its outputs behind; a sink keeps the input's timestamp and headers.
 * - Sink topics (fixed or computed) and `dlq.<name>` must exist: topics are never auto-created.
 * - `serdes.avro({ store, schema })` decodes into avsc record instances; spread them
 *   (`{ ...value }`) before comparing with plain objects in tests. Use `registrySchemaStore(client)`
 *   from src/schemas in production and `memorySchemaStore()` with the test driver.
 * - Patterns in `topics` are matched when the runner subscribes; topics created later need a restart.
 * - exactly-once covers Kafka outputs only; a step's side effects (Redis, HTTP) may run again
 *   after a crash, as in any consume-transform-produce loop. A store's writes are kept once by
 *   the writer's idempotence: they resolve before the chunk's transaction (or commit) starts.
 * - State: `builder.addStateStore({ name, key, value })` (or `addWindowStore` with event-time
 *   windows) returns a handle a step passes to `ctx.store(handle)`. Stores are kept per input
 *   partition, backed by the compacted topic `<group>-<store>-changelog` (created by the runner)
 *   and restored before a partition's first record; their changes go with the chunk's outputs
 *   and offsets (one transaction when exactly-once; acknowledged before the offset commit when
 *   at-least-once).
 * - A chunk (up to `maxBatchRecords` of one partition, fewer when a store's `maxBatch` is lower)
 *   is the unit of commit: its outputs, dead letters and offset become durable together.
 */
export { StreamsBuilder, KStream, type SourceOptions, type SinkOptions, type StoreOptions, type BuilderOptions, type StateStoreOptions, type WindowStoreOptions } from './builder.ts';
export type { KeyValueStoreRef, WindowStoreRef, WindowSpec } from './state/spec.ts';
export type { InPlaceFold, KeyValueStore, WindowFold, WindowStore, WindowScan, TimeWindow, Windowed } from './state/stores.ts';
export { windowsOf } from './state/windows.ts';
export type { InPlaceSerde } from './state/stores.ts';
export { memoryBackend, type StateBackend } from './state/backend.ts';
export { lmdbBackend } from './state/lmdb-backend.ts';
export type { WriteBehindOptions } from './state/write-behind.ts';
export { changelogConfig } from './state/changelog-topics.ts';
export type { StateStores } from './state/state-stores.ts';
export type { StateQueryAnswer } from './state/query.ts';
export { Topology, type StepContext, type StoreWriter } from './topology.ts';
export type { TopologyDescription, NodeDescription, StateStoreDescription } from './describe.ts';
export type { StreamRecord, RawRecord, RawHeaders, SourceCoordinates, Awaitable } from './record.ts';
export { andThen, eachInOrder, raceTimeout } from './awaitable.ts';
export { serdes, type Serde, type Serializer } from './serdes.ts';
export { memorySchemaStore, type AvroSchemaStore, type AvroSerdeOptions, type WithSchemaId } from './avro-serde.ts';
export { RecordError, DependencyUnavailableError } from './errors.ts';
export { isKafkaUnavailable } from './kafka-unavailable.ts';
export { defaultRetry, errorName, type RetryOptions } from './error-policy.ts';
export { deadLetterHeaders, dlqHeaders } from './dead-letter.ts';
export { StreamEvents, type StreamEventMap, type StreamEventName, type PartitionRef } from './events.ts';
export { deliveryModes, type DeliveryMode } from './delivery.ts';
export { fetchMaxWaitMs } from './fetch-wait.ts';
export { keyPartition, PartitionCounts } from './key-partition.ts';
export { runnerDefaults } from './runner-defaults.ts';
export { runTopology, stopOnSignals, type RunOptions, type RunningTopology } from './runner.ts';
export { reliableProducer } from './producers.ts';
