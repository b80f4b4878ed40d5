import { andThen, eachInOrder } from './awaitable.ts';
import type { Awaitable, StreamRecord } from './record.ts';
import type { Serde, Serializer } from './serdes.ts';
import { changelogTopicOf, type KeyValueStoreRef, type StateStoreSpec, type WindowSpec, type WindowStoreRef } from './state/spec.ts';
import { validateWindows } from './state/windows.ts';
import type { InPlaceSerde } from './state/stores.ts';
import { windowedSerde } from './state/windowed-serde.ts';
import { serdes } from './serdes.ts';
import { Topology, type AnyRecord, type GraphNode, type ProcessorKind, type ProcessorNode, type StepContext, type StoreNode, type StoreWriter, type Forward } from './topology.ts';

export interface SourceOptions<K, V> {
  /** Topic names, or patterns (matched against the topics that exist when the runner subscribes). */
  topics: ReadonlyArray<string | RegExp>;
  key: Serde<K>;
  value: Serde<V>;
}

export interface SinkOptions<K, V> {
  /** A fixed topic or one computed per record. Topics are never auto-created: they must exist. */
  topic: string | ((record: StreamRecord<K, V>) => string);
  /**
   * When `topic` is a function, the topics it answers with, if known: the runner warms their
   * serdes at start (schema ids), so the first record to each does not wait on the registry.
   */
  topics?: readonly string[];
  key: Serializer<K>;
  value: Serializer<V>;
}

export interface StoreOptions {
  /** Most records one write receives (rows per multi-row INSERT); also bounds one commit. */
  maxBatch?: number; // 2_000, the runner's chunk
  /**
   * Writes running at once, each a chunk of a different partition (e.g. the connection pool's
   * size); the runner consumes at least that many partitions at once.
   */
  maxInFlight?: number; // 3, the runner's partitions at once
}

export interface StateStoreOptions<K, V> {
  /** Unique in the topology; the changelog is `<group>-<name>-changelog`. */
  name: string;
  key: Serde<K>;
  value: Serde<V>;
}

export interface WindowStoreOptions<K, A> {
  name: string;
  key: Serde<K>;
  windows: WindowSpec;
  /** How one window's aggregate is written; JSON (plain data) when omitted. An `InPlaceSerde` saves a Buffer per window at each update. */
  aggregate?: Serde<A> | InPlaceSerde<A>;
}

export interface BuilderOptions {
  /** Consumer group; `bridge.<name>` by default. */
  groupId?: string;
  /** Dead-letter topic; `dlq.<name>` by default. */
  deadLetterTopic?: string;
  /**
   * Records of one partition processed at once, for steps that wait on slow lookups (a vendor
   * API). Records with the same key still run strictly in order, outputs keep the input order,
   * and a chunk is committed only after every record of it finished.
   */
  recordConcurrency?: number; // 1: one record after another
  /**
   * With recordConcurrency: false lets records with the same key run at once too (outputs still
   * keep the input order). Only for steps whose side effects do not depend on each other's order,
   * and for sources whose records have no key worth ordering by.
   */
  orderedByKey?: boolean; // true
}

const defaultStore = { maxBatch: 2_000, maxInFlight: 3 } as const;

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${what} must be a positive integer, got ${value}`);
  return value;
}

const namePattern = /^[a-z0-9][a-z0-9._-]*$/;

/** Collects nodes for one topology; `stream()` starts a chain, `build()` freezes the graph. */
export class StreamsBuilder {
  readonly name: string;
  readonly #options: BuilderOptions;
  readonly #nodes: GraphNode[] = [];
  readonly #stateStores: Array<Omit<StateStoreSpec, 'changelogTopic'>> = [];
  #built = false;

  constructor(name: string, options: BuilderOptions = {}) {
    if (!namePattern.test(name)) throw new Error(`topology name "${name}" must be lowercase letters, digits, '.', '_' or '-'`);
    if (options.recordConcurrency !== undefined) positiveInteger(options.recordConcurrency, `recordConcurrency of topology "${name}"`);
    this.name = name;
    this.#options = options;
  }

  /** Reads the given topics; the returned stream carries decoded records. */
  stream<K, V>(name: string, options: SourceOptions<K, V>): KStream<K, V> {
    if (options.topics.length === 0) throw new Error(`source "${name}" needs at least one topic or pattern`);
    const node = this.add<GraphNode>({ type: 'source', name, topics: [...options.topics], key: options.key as Serde<unknown>, value: options.value as Serde<unknown>, successors: [], predecessors: [] });
    return new KStream<K, V>(this, node);
  }

  /**
   * Declares a keyed store any step reads and writes through `ctx.store(ref)`, kept per input
   * partition and backed by a compacted changelog topic.
   */
  addStateStore<K, V>(options: StateStoreOptions<K, V>): KeyValueStoreRef<K, V> {
    this.#addStore({ name: options.name, key: options.key as Serde<unknown>, value: options.value as Serde<unknown> });
    return { kind: 'key-value', name: options.name };
  }

  /** Declares a store of event-time windows per key (`ctx.store(ref).update(key, time, fold)`). */
  addWindowStore<K, A>(options: WindowStoreOptions<K, A>): WindowStoreRef<K, A> {
    const windows = validateWindows(options.windows, options.name);
    const aggregate = options.aggregate ?? serdes.json<A>();
    const value = windowedSerde<A>(aggregate);
    this.#addStore({ name: options.name, key: options.key as Serde<unknown>, value: value as Serde<unknown>, windows, aggregate: aggregate as Serde<unknown> });
    return { kind: 'window', name: options.name, windows };
  }

  build(): Topology {
    if (this.#nodes.length === 0) throw new Error(`topology "${this.name}" has no source: call stream() first`);
    if (this.#stateStores.length > 0 && (this.#options.recordConcurrency ?? 1) > 1) {
      throw new Error(`topology "${this.name}" declares state stores, which need records in order: drop recordConcurrency`);
    }
    const dangling = this.#nodes.filter((node) => node.type !== 'sink' && node.type !== 'store' && node.successors.length === 0).map((node) => node.name);
    if (dangling.length > 0) throw new Error(`topology "${this.name}": ${dangling.join(', ')} lead nowhere; end every chain with to() or toStore() (or drop the step)`);
    this.#built = true;
    const groupId = this.#options.groupId ?? `bridge.${this.name}`;
    return new Topology({
      stateStores: this.#stateStores.map((store) => ({ ...store, changelogTopic: changelogTopicOf(groupId, store.name) })),
      name: this.name,
      groupId,
      deadLetterTopic: this.#options.deadLetterTopic ?? `dlq.${this.name}`,
      nodes: [...this.#nodes],
      ...(this.#options.recordConcurrency ? { recordConcurrency: this.#options.recordConcurrency } : {}),
      ...(this.#options.orderedByKey === false ? { orderedByKey: false } : {}),
    });
  }

  #addStore(store: Omit<StateStoreSpec, 'changelogTopic'>): void {
    if (this.#built) throw new Error(`topology "${this.name}" is already built; build a new one instead of extending it`);
    if (!namePattern.test(store.name)) throw new Error(`state store name "${store.name}" must be lowercase letters, digits, '.', '_' or '-'`);
    if (this.#stateStores.some((s) => s.name === store.name)) throw new Error(`topology "${this.name}" already has a state store named "${store.name}"`);
    this.#stateStores.push(store);
  }

  /** @internal used by KStream */
  add<N extends GraphNode>(node: N): N {
    if (this.#built) throw new Error(`topology "${this.name}" is already built; build a new one instead of extending it`);
    if (!node.name) throw new Error(`every ${node.type} in topology "${this.name}" needs a name`);
    if (this.#nodes.some((existing) => existing.name === node.name)) {
      throw new Error(`topology "${this.name}" already has a node named "${node.name}"; names label logs and metrics, so they must be unique`);
    }
    this.#nodes.push(node);
    return node;
  }
}

type Step<K, V, R> = (record: StreamRecord<K, V>, ctx: StepContext) => Awaitable<R>;

/**
 * `next(value)` now when `value` is not a promise, else once it settles: steps stay synchronous
 * for records whose step answered synchronously (no promise per step and record).
 */
function then<T>(value: Awaitable<T>, next: (settled: T) => Promise<void> | undefined): Promise<void> | undefined {
  return andThen(isThenable(value) ? Promise.resolve(value) : value, next);
}

/** Steps are user code: any thenable is awaited, as `await` would. */
function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return value instanceof Promise || (typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function');
}

/** The first label from `from` whose predicate holds goes to `forward` with its index; none: nowhere. */
function firstBranch<B>(labels: readonly B[], from: number, holds: (label: B) => Awaitable<boolean>, forward: (index: number) => Promise<void> | undefined): Promise<void> | undefined {
  for (let i = from; i < labels.length; i += 1) {
    const answer = holds(labels[i]!);
    if (isThenable(answer)) return Promise.resolve(answer).then((yes) => (yes ? forward(i) : firstBranch(labels, i + 1, holds, forward)));
    if (answer) return forward(i);
  }
  return undefined;
}

/** A chain of steps over records with keys K and values V. Every step is named. */
export class KStream<K, V> {
  readonly #builder: StreamsBuilder;
  readonly #node: GraphNode;

  constructor(builder: StreamsBuilder, node: GraphNode) {
    this.#builder = builder;
    this.#node = node;
  }

  /** One record in, one out (re-key, re-value, add headers). May be async. */
  map<K2, V2>(name: string, step: Step<K, V, StreamRecord<K2, V2>>): KStream<K2, V2> {
    return this.#processor(name, 'map', (record, ctx, forward) => then(step(record as StreamRecord<K, V>, ctx), (out) => forward(out)));
  }

  /** The same as map; the name reads better for steps that await a lookup. */
  mapAsync<K2, V2>(name: string, step: Step<K, V, StreamRecord<K2, V2>>): KStream<K2, V2> {
    return this.map(name, step);
  }

  /** Replaces the value only, keeping key, headers and coordinates. */
  mapValues<V2>(name: string, step: (value: V, record: StreamRecord<K, V>, ctx: StepContext) => Awaitable<V2>): KStream<K, V2> {
    return this.#processor(name, 'map-values', (record, ctx, forward) => {
      const typed = record as StreamRecord<K, V>;
      return then(step(typed.value, typed, ctx), (value) => forward({ ...typed, value }));
    });
  }

  /** Zero or more records out per record in; an empty list filters the record. */
  flatMap<K2, V2>(name: string, step: Step<K, V, Iterable<StreamRecord<K2, V2>>>): KStream<K2, V2> {
    return this.#processor(name, 'flat-map', (record, ctx, forward) => then(step(record as StreamRecord<K, V>, ctx), (outs) => eachInOrder(outs, (out) => forward(out))));
  }

  /** Keeps records for which the predicate holds. */
  filter(name: string, predicate: Step<K, V, boolean>): KStream<K, V> {
    return this.#processor(name, 'filter', (record, ctx, forward) => then(predicate(record as StreamRecord<K, V>, ctx), (keep) => (keep ? forward(record) : undefined)));
  }

  /** Side effect (a count, a debug line) without changing the record. */
  peek(name: string, action: Step<K, V, void>): KStream<K, V> {
    return this.#processor(name, 'peek', (record, ctx, forward) => then(action(record as StreamRecord<K, V>, ctx), () => forward(record)));
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds (in the
   * object's key order), or nowhere. Returns one stream per label.
   */
  branch<B extends string>(name: string, predicates: Record<B, Step<K, V, boolean>>): Record<B, KStream<K, V>> {
    const labels = Object.keys(predicates) as B[];
    if (labels.length === 0) throw new Error(`branch "${name}" needs at least one predicate`);
    const node = this.#attach<ProcessorNode>({
      type: 'processor',
      kind: 'branch',
      name,
      labels,
      successors: [],
      predecessors: [],
      process: (record, ctx, forward) => firstBranch(labels, 0, (label) => predicates[label](record as StreamRecord<K, V>, ctx), (i) => forward(record, i)),
    });
    // Each label gets a pass-through node so its chain has its own attachment point and the
    // branch's successors line up with its labels.
    return Object.fromEntries(
      labels.map((label) => {
        const edge = this.#builder.add<ProcessorNode>({
          type: 'processor',
          kind: 'branch-edge',
          name: `${name}.${label}`,
          successors: [],
          predecessors: [node],
          process: (record, _ctx, forward) => forward(record),
        });
        node.successors.push(edge);
        return [label, new KStream<K, V>(this.#builder, edge)];
      }),
    ) as Record<B, KStream<K, V>>;
  }

  /** Writes every record to a topic; ends the chain. */
  to(name: string, options: SinkOptions<K, V>): void {
    this.#attach({
      type: 'sink',
      name,
      topic: options.topic as string | ((record: AnyRecord) => string),
      knownTopics: typeof options.topic === 'string' ? [options.topic] : (options.topics ?? []),
      key: options.key as Serializer<unknown>,
      value: options.value as Serializer<unknown>,
      successors: [],
      predecessors: [],
    });
  }

  /**
   * Writes every record to an external store; ends the chain. The runner hands the records of a
   * chunk to `writer.write` in batches of at most `maxBatch` and commits the chunk's offsets (and
   * any dead letters) only after the writes resolved. A failing batch is retried with backoff,
   * then written record by record so only the records the store refuses are dead-lettered;
   * DependencyUnavailableError pauses the partition and the chunk is read again later.
   */
  toStore(name: string, writer: StoreWriter<K, V>, options: StoreOptions = {}): void {
    this.#attach<StoreNode>({
      type: 'store',
      name,
      writer: writer as StoreWriter<unknown, unknown>,
      maxBatch: positiveInteger(options.maxBatch ?? defaultStore.maxBatch, `maxBatch of store "${name}"`),
      maxInFlight: positiveInteger(options.maxInFlight ?? defaultStore.maxInFlight, `maxInFlight of store "${name}"`),
      successors: [],
      predecessors: [],
    });
  }

  #processor<K2, V2>(name: string, kind: Exclude<ProcessorKind, 'branch' | 'branch-edge'>, process: ProcessorNode['process']): KStream<K2, V2> {
    const node = this.#attach<ProcessorNode>({ type: 'processor', kind, name, successors: [], predecessors: [], process });
    return new KStream<K2, V2>(this.#builder, node);
  }

  #attach<N extends GraphNode>(node: N): N {
    if (this.#node.type === 'sink' || this.#node.type === 'store') throw new Error(`"${this.#node.name}" is a ${this.#node.type}; nothing can follow it`);
    const added = this.#builder.add(node);
    added.predecessors.push(this.#node);
    this.#node.successors.push(added);
    return added;
  }
}
