// The graph's node types, apart from the Topology class so describe() can read a graph without
// importing the class that calls it.
import type { Logger } from '../obs/logger.ts';
import type { OutgoingRecord, SourceCoordinates, StreamRecord } from './record.ts';
import type { Serde, Serializer } from './serdes.ts';
import type { RecordState } from './state/chunk-state.ts';
import type { KeyValueStoreRef, WindowStoreRef } from './state/spec.ts';
import type { KeyValueStore, WindowStore } from './state/stores.ts';

/** What every step receives besides the record. */
export interface StepContext {
  /** The topology's logger, child-bound to this node's name. No PHI at info level. */
  readonly log: Logger;
  readonly node: string;
  /** Where the input record came from (unchanged by re-keying steps). */
  readonly source: SourceCoordinates;
  /** 1 on the first try, then 2, 3, … when the error policy retries the record. */
  readonly attempt: number;
  /**
   * A state store declared with `builder.addStateStore` / `addWindowStore`, for the record's
   * partition. Writes count only if the record succeeds; they reach the store's changelog with
   * the chunk's outputs and offsets.
   */
  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, A>(ref: WindowStoreRef<K, A>): WindowStore<K, A>;
}

export type AnyRecord = StreamRecord<unknown, unknown>;

/** Per-record state while one input record runs through the graph. */
export interface Execution {
  readonly source: SourceCoordinates;
  readonly attempt: number;
  readonly log: Logger;
  readonly outputs: OutgoingRecord[];
  readonly stored: StoreEntry[];
  /** The record's view of the state stores (topologies that declare some). */
  readonly state?: RecordState;
  /** The node running now; the error policy names it when the record fails. */
  node: string;
}

interface NodeBase {
  readonly name: string;
  readonly successors: GraphNode[];
  readonly predecessors: GraphNode[];
}

export interface SourceNode extends NodeBase {
  readonly type: 'source';
  readonly topics: ReadonlyArray<string | RegExp>;
  readonly key: Serde<unknown>;
  readonly value: Serde<unknown>;
}

/** The built-in processor kinds; `kind` is what describe() prints. */
export type ProcessorKind = 'map' | 'map-values' | 'flat-map' | 'filter' | 'peek' | 'branch' | 'branch-edge';

/** Hands a step's record on; a promise only when something downstream answered with one. */
export type Forward = (record: AnyRecord, successor?: number) => Promise<void> | undefined;

export interface ProcessorNode extends NodeBase {
  readonly type: 'processor';
  readonly kind: ProcessorKind;
  /** Branch labels, in the order of `successors` (branch nodes only). */
  readonly labels?: readonly string[];
  /**
   * Runs the step and hands each resulting record to `forward`; a branch passes the index of
   * the successor, others forward to all successors. Both answer synchronously (undefined) when
   * everything they ran did, else with a promise.
   */
  process(record: AnyRecord, ctx: StepContext, forward: Forward): Promise<void> | undefined;
}

export interface SinkNode extends NodeBase {
  readonly type: 'sink';
  readonly topic: string | ((record: AnyRecord) => string);
  /** The topic, or the topics a topic function is known to answer with (SinkOptions.topics). */
  readonly knownTopics: readonly string[];
  readonly key: Serializer<unknown>;
  readonly value: Serializer<unknown>;
}

/** Writes a chunk's records to an external store (a database table); `write` must be idempotent. */
export interface StoreWriter<K, V> {
  /**
   * One multi-row write. A replay after a crash between write and commit writes the same records
   * again, so it must be idempotent. Throw DependencyUnavailableError when the store is down
   * (the partition pauses), RecordError when the records can never be written.
   */
  write(records: ReadonlyArray<StreamRecord<K, V>>): Promise<unknown>;
}

export interface StoreNode extends NodeBase {
  readonly type: 'store';
  readonly writer: StoreWriter<unknown, unknown>;
  /** Most records one `write` receives; also bounds the records one commit covers. */
  readonly maxBatch: number;
  /** Writes (chunks of different partitions) running at once, e.g. the connection pool's size. */
  readonly maxInFlight: number;
}

export type GraphNode = SourceNode | ProcessorNode | SinkNode | StoreNode;

/** A record that reached a store node; written once the whole chunk went through the graph. */
export interface StoreEntry {
  readonly node: StoreNode;
  readonly record: AnyRecord;
}
