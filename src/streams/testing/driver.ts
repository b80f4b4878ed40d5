import { createLogger, type Logger } from '../../obs/logger.ts';
import { processChunk, type ChunkContext } from '../chunk.ts';
import { dlqHeaders } from '../dead-letter.ts';
import { ErrorPolicy, type RetryOptions } from '../error-policy.ts';
import { StreamEvents } from '../events.ts';
import { decodeHeaders, type OutgoingRecord, type RawRecord } from '../record.ts';
import type { Serde } from '../serdes.ts';
import { memoryBackend } from '../state/backend.ts';
import type { KeyValueStoreRef, WindowStoreRef } from '../state/spec.ts';
import { StateStores } from '../state/state-stores.ts';
import type { KeyValueStore, WindowStore } from '../state/stores.ts';
import { StoreWrites } from '../store-writes.ts';
import type { Topology } from '../topology.ts';

export interface DriverOptions {
  log?: Logger;
  /** Retries without real waiting by default; set to test backoff behaviour. */
  retry?: Partial<RetryOptions>;
  /** Clock for `dlq-failed-at` and default timestamps. */
  now?: () => number;
  /** Records per chunk in `flush()`, as the runner's maxBatchRecords (a store's maxBatch lowers it). */
  maxBatchRecords?: number; // 2_000
  /** Keys each state store partition's cache holds, as the runner's `stateCacheKeys` (STATE_CACHE_KEYS). */
  stateCacheKeys?: number;
}

/** A source topic of the driver: `pipe` runs a record at once, `queue` holds it for `flush()`. */
export interface TestInputTopic<K, V> {
  pipe(record: TestInput<K, V>): Promise<void>;
  queue(record: TestInput<K, V>): Promise<void>;
}

export interface TestInput<K, V> {
  key?: K;
  value: V;
  headers?: Record<string, string>;
  timestamp?: number;
  partition?: number;
}

export interface TestOutput<K, V> {
  key: K;
  value: V;
  headers: Record<string, string>;
  timestamp: number;
  partition: number;
  offset: string;
}

export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
  detail: string;
}

/**
 * Runs a topology in memory, as Kafka Streams' TopologyTestDriver does: pipe records into a
 * source topic, read what sinks, stores and the dead-letter path wrote. The same chunk
 * processing, error policy and store writes as the Kafka runner.
 *
 * `pipe` runs one record as a chunk of its own; a DependencyUnavailableError rejects it (the
 * runner would pause the partition and read the record again later). `queue` holds records until
 * `flush()`, which runs them per partition in chunks as the runner does (record concurrency and
 * store batches included) and commits each chunk's offset.
 */
export class TopologyTestDriver {
  readonly topology: Topology;
  /** Lifecycle events (`retried`, `dead-lettered`, `processed`, `committed`) as the runner emits them. */
  readonly events = new StreamEvents();
  readonly #chunks: ChunkContext;
  readonly #state: StateStores | undefined;
  readonly #now: () => number;
  readonly #chunkSize: number;
  readonly #topics = new Map<string, OutgoingRecord[]>();
  readonly #read = new Map<string, number>();
  readonly #offsets = new Map<string, number>();
  readonly #committed = new Map<string, string>();
  #pending: RawRecord[] = [];

  constructor(topology: Topology, options: DriverOptions = {}) {
    this.topology = topology;
    this.#now = options.now ?? Date.now;
    this.#chunkSize = topology.chunkSize(options.maxBatchRecords ?? 2_000);
    const settings = {
      retry: { initialDelayMs: 0, maxDelayMs: 0, ...options.retry },
      log: options.log ?? createLogger({ level: 'silent' }),
      events: this.events,
    };
    // State stores live in memory as long as the driver; their changelogs are written like any topic.
    this.#state =
      topology.stateStores.length > 0
        ? new StateStores({ topology: topology.name, groupId: topology.groupId, specs: topology.stateStores, backend: memoryBackend(), events: this.events, log: settings.log, ...(options.stateCacheKeys ? { cacheKeys: options.stateCacheKeys } : {}) })
        : undefined;
    this.#chunks = {
      topology,
      policy: new ErrorPolicy(topology, settings),
      stores: new StoreWrites(topology, settings),
      events: this.events,
      now: this.#now,
      ...(this.#state ? { state: this.#state } : {}),
    };
  }

  inputTopic<K, V>(topic: string, key: Serde<K>, value: Serde<V>): TestInputTopic<K, V> {
    const toRaw = async (record: TestInput<K, V>): Promise<RawRecord> => ({
      topic,
      partition: record.partition ?? 0,
      offset: String(this.#nextOffset(`${topic}/${record.partition ?? 0}`)),
      timestamp: record.timestamp ?? this.#now(),
      key: record.key === undefined ? null : await key.serialize(record.key, topic),
      value: await value.serialize(record.value, topic),
      headers: { ...record.headers },
    });
    return {
      pipe: async (record) => this.pipeRaw(await toRaw(record)),
      queue: async (record) => this.queueRaw(await toRaw(record)),
    };
  }

  /** Pipes bytes as they would sit in Kafka (for malformed-input tests). */
  async pipeRaw(raw: RawRecord): Promise<void> {
    await this.#process([raw]);
  }

  /** Queues bytes as they would sit in Kafka, for `flush()`. */
  queueRaw(raw: RawRecord): void {
    this.#pending.push(raw);
  }

  /**
   * Runs every queued record, per partition in chunks, as the runner does. Rejects with the
   * DependencyUnavailableError when the runner would pause; the records from the one that met
   * it on stay queued (the runner reads them again). Resolves with the records sinks and stores
   * wrote (dead letters not counted).
   */
  async flush(): Promise<{ written: number }> {
    let written = 0;
    const byPartition = new Map<string, RawRecord[]>();
    for (const raw of this.#pending) {
      const key = `${raw.topic}/${raw.partition}`;
      const records = byPartition.get(key) ?? [];
      records.push(raw);
      byPartition.set(key, records);
    }
    for (const records of byPartition.values()) {
      for (let start = 0; start < records.length; start += this.#chunkSize) {
        written += await this.#process(records.slice(start, start + this.#chunkSize));
      }
    }
    return { written };
  }

  /** Records queued and not yet committed. */
  pendingCount(): number {
    return this.#pending.length;
  }

  /** The next offset to read of a partition, as committed after its last chunk (undefined before). */
  committedOffset(topic: string, partition = 0): string | undefined {
    return this.#committed.get(`${topic}/${partition}`);
  }

  /** Runs one chunk and commits what finished; returns the records written by sinks and stores. */
  async #process(chunk: readonly RawRecord[]): Promise<number> {
    const result = await processChunk(chunk, this.#chunks);
    if (result.finished > 0) {
      const last = chunk[result.finished - 1]!;
      const nextOffset = String(BigInt(last.offset) + 1n);
      for (const out of result.outputs) this.#append(out);
      if (result.state) {
        const markers = [{ topic: last.topic, nextOffset }];
        // A changelog topic holds a value's bytes as sent: a window store folds into them again in later chunks.
        for (const out of result.state.changelog(markers, this.#now())) this.#append(out.value ? { ...out, value: Buffer.from(out.value) } : out);
        await this.#state?.apply(result.state, markers);
        this.#state?.report(result.state);
      }
      this.#committed.set(`${last.topic}/${last.partition}`, nextOffset);
      const done = new Set(chunk.slice(0, result.finished));
      if (this.#pending.length > 0) this.#pending = this.#pending.filter((raw) => !done.has(raw));
      this.events.emit('committed', { topology: this.topology.name, topic: last.topic, partition: last.partition, offset: nextOffset, transactional: false });
    }
    if (result.unavailable) throw result.unavailable;
    const stored = Object.values(result.stored).reduce((sum, n) => sum + n, 0);
    return stored + result.outputs.filter((out) => out.node !== 'dead-letter').length;
  }

  outputTopic<K, V>(topic: string, key: Serde<K>, value: Serde<V>): { readRecords(): Promise<TestOutput<K, V>[]>; isEmpty(): boolean } {
    return {
      /** Records written since the last read, decoded. */
      readRecords: async () => {
        const all = this.#topics.get(topic) ?? [];
        const from = this.#read.get(topic) ?? 0;
        this.#read.set(topic, all.length);
        return Promise.all(
          all.slice(from).map(async (out, i) => ({
            key: await key.deserialize(out.key, topic),
            value: await value.deserialize(out.value, topic),
            headers: decodeHeaders(out.headers),
            timestamp: out.timestamp,
            partition: 0,
            offset: String(from + i),
          })),
        );
      },
      isEmpty: () => (this.#topics.get(topic)?.length ?? 0) <= (this.#read.get(topic) ?? 0),
    };
  }

  /**
   * A state store of one partition as committed so far (read it; writes here bypass the
   * changelog and are for setting up a test only).
   */
  store<K, V>(ref: KeyValueStoreRef<K, V>, partition?: number): Promise<KeyValueStore<K, V>>;
  store<K, A>(ref: WindowStoreRef<K, A>, partition?: number): Promise<WindowStore<K, A>>;
  async store(ref: KeyValueStoreRef<unknown, unknown> | WindowStoreRef<unknown, unknown>, partition = 0): Promise<KeyValueStore<unknown, unknown> | WindowStore<unknown, unknown>> {
    if (!this.#state) throw new Error(`topology "${this.topology.name}" declares no state stores`);
    const view = (await this.#state.begin(partition, this.#now())).record();
    return ref.kind === 'key-value' ? view.store(ref) : view.store(ref);
  }

  /** Every dead letter written so far, with its reason. */
  deadLetters(): DeadLetter[] {
    return (this.#topics.get(this.topology.deadLetterTopic) ?? []).map((out) => {
      const headers = decodeHeaders(out.headers);
      return { key: out.key, value: out.value, headers, reason: headers[dlqHeaders.reason] ?? '', detail: headers[dlqHeaders.detail] ?? '' };
    });
  }

  /** Names of every topic something was written to. */
  writtenTopics(): string[] {
    return [...this.#topics.keys()];
  }

  #append(out: OutgoingRecord): void {
    const list = this.#topics.get(out.topic) ?? [];
    list.push(out);
    this.#topics.set(out.topic, list);
  }

  #nextOffset(partition: string): number {
    const next = this.#offsets.get(partition) ?? 0;
    this.#offsets.set(partition, next + 1);
    return next;
  }
}
