/**
 * A batch sink: a stage whose output is an external store, written one chunk at a time.
 *
 * The per-record runtime (runner.ts) writes outputs to Kafka; a database sink instead wants one
 * multi-row write per chunk and the chunk's offsets committed only after that write is durable.
 * This file adds exactly that, reusing the runtime's records, serdes, dead letters, events and
 * error classes: decode failures are dead-lettered, DependencyUnavailableError pauses the
 * partition and re-reads the chunk later, other write errors are retried with backoff and then
 * narrowed down record by record so one poison record is dead-lettered and the rest land.
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { createLogger, type Logger } from '../obs/logger.ts';
import { deadLetterFor } from './dead-letter.ts';
import type { NodeDescription, TopologyDescription } from './describe.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import { defaultRetry, errorName, type RetryOptions } from './error-policy.ts';
import { StreamEvents, type PartitionRef } from './events.ts';
import { reliableProducer, toTopicMessages } from './producers.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord, type StreamRecord } from './record.ts';
import type { Serde } from './serdes.ts';

export interface BatchSinkDefinition<K, V> {
  /** Stage name: group `bridge.<name>` and dead letters `dlq.<name>` unless given. */
  readonly name: string;
  readonly groupId?: string;
  readonly deadLetterTopic?: string;
  readonly source: { readonly name: string; readonly topics: readonly string[]; readonly key: Serde<K>; readonly value: Serde<V> };
  /** Named like every graph node; `write` must be idempotent (a chunk may be written again after a crash). */
  readonly writer: {
    readonly name: string;
    write(records: ReadonlyArray<StreamRecord<K, V>>): Promise<void>;
    /**
     * Chunks of different partitions the store takes at once (e.g. the connection pool's size);
     * the runner consumes that many partitions concurrently. Chunks of one partition stay in order.
     */
    readonly maxConcurrentWrites?: number; // the runner's 3
    /** Most records one `write` receives (e.g. rows per multi-row INSERT). */
    readonly maxBatchRecords?: number; // the runner's 2,000
  };
}

export interface BatchSink<K = unknown, V = unknown> extends BatchSinkDefinition<K, V> {
  readonly groupId: string;
  readonly deadLetterTopic: string;
  describe(): TopologyDescription;
}

export function batchSink<K, V>(definition: BatchSinkDefinition<K, V>): BatchSink<K, V> {
  const groupId = definition.groupId ?? `bridge.${definition.name}`;
  const deadLetterTopic = definition.deadLetterTopic ?? `dlq.${definition.name}`;
  const nodes: NodeDescription[] = [
    {
      name: definition.source.name,
      type: 'source',
      kind: 'source',
      topics: [...definition.source.topics],
      keySerde: definition.source.key.name,
      valueSerde: definition.source.value.name,
      successors: [definition.writer.name],
      predecessors: [],
    },
    { name: definition.writer.name, type: 'processor', kind: 'batch-write', topics: [], successors: [], predecessors: [definition.source.name] },
  ];
  const text = [
    `Topology: ${definition.name} (group ${groupId}, dead letters ${deadLetterTopic})`,
    `  Source: ${definition.source.name} (topics: [${definition.source.topics.join(', ')}]; key: ${definition.source.key.name}, value: ${definition.source.value.name})`,
    `    --> ${definition.writer.name}`,
    `  Processor: ${definition.writer.name} (batch-write)`,
    `    <-- ${definition.source.name}`,
  ].join('\n');
  return {
    ...definition,
    groupId,
    deadLetterTopic,
    describe: () => ({ name: definition.name, groupId, deadLetterTopic, nodes, toString: () => text }),
  };
}

/** What became of one chunk of a partition. */
export type ChunkOutcome =
  | { kind: 'written'; written: number; deadLetters: OutgoingRecord[]; nextOffset: string }
  | { kind: 'unavailable'; error: DependencyUnavailableError };

export interface ChunkOptions {
  readonly retry?: Partial<RetryOptions>;
  readonly log?: Logger;
  readonly events?: StreamEvents;
  readonly now?: () => number;
}

/** Decodes and writes one chunk (records of one partition, in offset order). Kafka-free, so the test driver shares it. */
export async function writeChunk<K, V>(sink: BatchSink<K, V>, chunk: readonly RawRecord[], options: ChunkOptions = {}): Promise<ChunkOutcome> {
  const last = chunk.at(-1);
  if (!last) throw new Error('writeChunk needs at least one record');
  const now = options.now ?? Date.now;
  const deadLetters: OutgoingRecord[] = [];
  const deadLetter = (raw: RawRecord, node: string, reason: string, detail: string, attempts: number) => {
    deadLetters.push(deadLetterFor(raw, { node, reason, detail, attempts }, sink.deadLetterTopic, now()));
    options.events?.emit('dead-lettered', { topology: sink.name, topic: raw.topic, partition: raw.partition, offset: raw.offset, node, reason, attempts });
  };

  const decoded: Array<{ raw: RawRecord; record: StreamRecord<K, V> }> = [];
  for (const raw of chunk) {
    try {
      const record = decode(sink, raw);
      decoded.push({ raw, record: record instanceof Promise ? await record : record });
    } catch (error) {
      if (error instanceof DependencyUnavailableError) return { kind: 'unavailable', error };
      const cause = error instanceof RecordError ? error : new RecordError('deserialization_failed', `not readable as ${sink.source.value.name}`, { cause: error });
      deadLetter(raw, sink.source.name, cause.reason, cause.detail, 1);
    }
  }

  const attempt = withRetry(sink, options);
  const nextOffset = (BigInt(last.offset) + 1n).toString();
  try {
    if (decoded.length > 0) await attempt(decoded.map((d) => d.record));
    return { kind: 'written', written: decoded.length, deadLetters, nextOffset };
  } catch (error) {
    if (error instanceof DependencyUnavailableError) return { kind: 'unavailable', error };
    // Name and code only: driver messages may quote row values (PHI).
    options.log?.warn({ node: sink.writer.name, error: errorName(error), records: decoded.length }, 'batch write failed; writing record by record');
  }
  // The whole chunk failed for a reason retries did not fix: write record by record so only
  // the records that cannot be written are dead-lettered.
  let written = 0;
  for (const { raw, record } of decoded) {
    try {
      await attempt([record]);
      written += 1;
    } catch (error) {
      if (error instanceof DependencyUnavailableError) return { kind: 'unavailable', error };
      if (error instanceof RecordError) deadLetter(raw, sink.writer.name, error.reason, error.detail, 1);
      else deadLetter(raw, sink.writer.name, 'write_failed', `${sink.writer.name}: ${errorName(error)}`, 1 + (options.retry?.maxRetries ?? defaultRetry.maxRetries));
    }
  }
  return { kind: 'written', written, deadLetters, nextOffset };
}

function withRetry<K, V>(sink: BatchSink<K, V>, options: ChunkOptions) {
  const settings = { ...defaultRetry, ...options.retry };
  const isTransient = (error: unknown) => !(error instanceof RecordError) && !(error instanceof DependencyUnavailableError);
  const policy = retry(handleWhen(isTransient), {
    maxAttempts: settings.maxRetries,
    backoff: new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs }),
  });
  let attempt = 0;
  policy.onRetry((reason) => {
    attempt += 1;
    const error = 'error' in reason ? reason.error : undefined;
    options.events?.emit('retried', { topology: sink.name, node: sink.writer.name, attempt: attempt + 1, error: errorName(error) });
  });
  return (records: ReadonlyArray<StreamRecord<K, V>>) => policy.execute(() => sink.writer.write(records));
}

/**
 * Awaits only a serde that is async: a sink reads every record of its topics, and two promises
 * per record were a large share of decoding one. A synchronous throw is caught by the caller
 * exactly like a rejection.
 */
function decode<K, V>(sink: BatchSink<K, V>, raw: RawRecord): StreamRecord<K, V> | Promise<StreamRecord<K, V>> {
  const key = sink.source.key.deserialize(raw.key, raw.topic);
  const value = sink.source.value.deserialize(raw.value, raw.topic);
  if (key instanceof Promise || value instanceof Promise) {
    return Promise.all([key, value]).then(([k, v]) => toStreamRecord(raw, k, v));
  }
  return toStreamRecord(raw, key, value);
}

function toStreamRecord<K, V>(raw: RawRecord, key: K, value: V): StreamRecord<K, V> {
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset, key, value, headers: decodeHeaders(raw.headers), timestamp: raw.timestamp };
}

export interface BatchSinkRunOptions {
  readonly kafka: Kafka;
  readonly log?: Logger;
  readonly events?: StreamEvents;
  readonly retry?: Partial<RetryOptions>;
  /** Records per write; the chunk is also what one offset commit covers. */
  readonly maxBatchRecords?: number; // 2_000
  /** Overrides the writer's maxConcurrentWrites. */
  readonly partitionsConsumedConcurrently?: number; // writer.maxConcurrentWrites ?? 3
  readonly fromBeginning?: boolean; // true
}

export interface RunningBatchSink {
  readonly sink: BatchSink;
  readonly events: StreamEvents;
  isReady(): boolean;
  stop(): Promise<void>;
}

/**
 * Consumes the sink's topics in its group. Offsets are committed only after `write` resolved
 * (rows durable) and dead letters are acknowledged. Kafka transactions cannot cover an external
 * store, so both delivery modes run this way; the writer's idempotence makes the replay after a
 * crash between write and commit harmless.
 */
export async function runBatchSink<K, V>(sink: BatchSink<K, V>, options: BatchSinkRunOptions): Promise<RunningBatchSink> {
  const events = options.events ?? new StreamEvents();
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ topology: sink.name });
  const maxBatchRecords = options.maxBatchRecords ?? sink.writer.maxBatchRecords ?? 2_000;
  const producer = reliableProducer(options.kafka);
  const consumer: Consumer = options.kafka.consumer({ groupId: sink.groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const resumeTimers = new Set<NodeJS.Timeout>();
  let ready = false;

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    ready = true;
    events.emit('rebalanced', { topology: sink.name, assigned });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.warn({ error: errorName(payload.error), restart: payload.restart }, 'consumer crashed');
    if (!payload.restart) {
      ready = false;
      events.emit('crashed', { topology: sink.name, error: errorName(payload.error) });
    }
  });

  const pauseFor = (ref: PartitionRef, error: DependencyUnavailableError) => {
    consumer.pause([{ topic: ref.topic, partitions: [ref.partition] }]);
    events.emit('paused', { topology: sink.name, ...ref, dependency: error.dependency, retryAfterMs: error.retryAfterMs });
    log.warn({ dependency: error.dependency, retryAfterMs: error.retryAfterMs, topic: ref.topic, partition: ref.partition }, 'dependency unavailable; partition paused');
    const timer = setTimeout(() => {
      resumeTimers.delete(timer);
      consumer.resume([{ topic: ref.topic, partitions: [ref.partition] }]);
      events.emit('resumed', { topology: sink.name, ...ref });
    }, error.retryAfterMs);
    resumeTimers.add(timer);
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> => {
    const ref = { topic: batch.topic, partition: batch.partition };
    for (let start = 0; start < batch.messages.length; start += maxBatchRecords) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + maxBatchRecords).map((m) => toRawRecord(ref, m));
      const began = performance.now();
      const outcome = await writeChunk(sink, chunk, { ...(options.retry ? { retry: options.retry } : {}), log, events });
      if (outcome.kind === 'unavailable') {
        // Nothing of this chunk is resolved, so the fetch after resume starts at its first record.
        pauseFor(ref, outcome.error);
        return;
      }
      const elapsed = performance.now() - began;
      events.emit('processed', {
        topology: sink.name,
        ...ref,
        recordsIn: { [sink.source.name]: chunk.length },
        recordsOut: { [sink.writer.name]: outcome.written },
        latenciesMs: chunk.map(() => elapsed / chunk.length),
        lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(outcome.nextOffset))),
      });
      if (outcome.deadLetters.length > 0) await producer.sendBatch({ topicMessages: toTopicMessages(outcome.deadLetters), acks: -1 });
      // Through the batch: consumer.commitOffsets is a no-op once stop() began, which would drop
      // the commit of the chunk a graceful shutdown waits for.
      await commitOffsetsIfNecessary({ topics: [{ topic: ref.topic, partitions: [{ partition: ref.partition, offset: outcome.nextOffset }] }] });
      events.emit('committed', { topology: sink.name, ...ref, offset: outcome.nextOffset, transactional: false });
      resolveOffset(chunk.at(-1)!.offset);
      await heartbeat();
    }
  };

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [...sink.source.topics], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? sink.writer.maxConcurrentWrites ?? 3, eachBatch });
  events.emit('started', { topology: sink.name, groupId: sink.groupId, delivery: 'at-least-once' });
  log.info({ groupId: sink.groupId }, 'batch sink started');

  let stopping: Promise<void> | undefined;
  return {
    sink: sink as unknown as BatchSink,
    events,
    isReady: () => ready && stopping === undefined,
    stop() {
      stopping ??= (async () => {
        for (const timer of resumeTimers) clearTimeout(timer);
        resumeTimers.clear();
        await consumer.disconnect();
        await producer.disconnect();
        events.emit('stopped', { topology: sink.name });
      })();
      return stopping;
    },
  };
}

function toRawRecord(ref: PartitionRef, message: KafkaMessage): RawRecord {
  return { ...ref, offset: message.offset, timestamp: Number(message.timestamp), key: message.key ?? null, value: message.value, headers: message.headers ?? {} };
}
