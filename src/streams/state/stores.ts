import type { Awaitable } from '../record.ts';
import type { Serde } from '../serde.ts';

/** A keyed store as a step sees it: reads see the step's own writes and those of earlier records. */
export interface KeyValueStore<K, V> {
  get(key: K): Promise<V | undefined>;
  put(key: K, value: V): Promise<void>;
  delete(key: K): Promise<void>;
}

/** One window of a window store. */
export interface TimeWindow<A> {
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
  readonly value: A;
}

/**
 * A window store's fold of a record into its window's aggregate where the aggregate lies in the
 * store's bytes, for aggregates of a fixed length. The store keeps a key's windows as a ring of
 * fixed slots (windowed-in-place.ts) and folds each record into its slot in place: rewriting a key's
 * whole value per record, then allocating a new one, was most of what a window store cost a step
 * that folds every record (bench:state). The methods run synchronously within the update and must
 * not use the store.
 */
export interface InPlaceFold {
  /** The bytes of every aggregate this fold writes. */
  readonly fixedLength: number;
  /**
   * The fold's name for how its aggregates lie in those bytes (a uint32), kept in the ring: a
   * key's ring of another layout (the fold's options changed) is moved to this one by `relayout`.
   */
  readonly layout: number;
  /** Folds the record into the aggregate at `at` of `view` (`fixedLength` bytes); `fresh`: the window has none yet, write it from nothing. */
  foldInPlace(view: DataView, at: number, fresh: boolean): void;
  /**
   * Writes an aggregate the store holds in another length (written before this fold's, or by a
   * fold of other options: the `length` bytes of `from` at `fromAt`) in this fold's layout at
   * `at` of `view`, without the record: how a key's windows move to a ring of this fold's slots.
   */
  relayout(from: DataView, fromAt: number, length: number, view: DataView, at: number): void;
}

/** A window store's fold of a record: of the window's decoded aggregate (a function), or in place. */
export type WindowFold<A> = ((current: A | undefined) => A) | InPlaceFold;

/** Event-time windows per key, with a grace period for late records and a retention. */
export interface WindowStore<K, A> {
  /**
   * Folds a record at event time `timestamp` into its window. Returns false, and counts the
   * record as dropped, when that window closed (it ended more than the grace period before the
   * latest event time seen for the key), or when `timestamp` lies further ahead of the clock
   * than the grace period and than a window (it would close windows still open now). `fold` gets the window's aggregate decoded from the
   * stored bytes (undefined for a new window) and returns the new one; of the key's windows,
   * only that one is written again. An `InPlaceFold` folds the aggregate where it lies instead,
   * without decoding it or copying the key's other windows (for a step that folds every record).
   */
  update(key: K, timestamp: number, fold: WindowFold<A>): Awaitable<boolean>;
  /** The key's retained windows, oldest first. */
  fetch(key: K): Promise<Array<TimeWindow<A>>>;
  /**
   * The key's retained windows, oldest first, read where they lie in the store's bytes: no
   * object per window, for a step that reads every window at every record. The aggregates are
   * as the store's aggregate serde wrote them.
   *
   * `from` and `to` (epoch ms) keep the windows whose start lies in [from, to), as Kafka
   * Streams' `fetch(key, timeFrom, timeTo)` does; a ring's slots outside them are not read.
   *
   * `update` and `scan` answer synchronously when the key and the aggregate serdes do (a promise
   * per call and record was much of what a window store cost a step); await them either way.
   */
  scan(key: K, from?: number, to?: number): Awaitable<WindowScan>;
}

/**
 * A key's retained windows as stored (`WindowStore.scan`). Use it within the record that made
 * it: a later record of the chunk may write the key's next value into the same buffer.
 */
export interface WindowScan {
  /** Moves to the next retained window, oldest first; false after the last. */
  next(): boolean;
  /** The current window's start, epoch ms. */
  readonly start: number;
  /** The current window's aggregate is the `length` bytes of `bytes` from `at`. */
  readonly bytes: Buffer;
  /** The same bytes, to read numbers in place (a Buffer read method boxes a double per call). */
  readonly view: DataView;
  readonly at: number;
  readonly length: number;
}

/** What a window store keeps per key (binary in its changelog: `windowedSerde`). */
export interface Windowed<A> {
  /** The latest event time seen for the key: lateness and retention are measured from it. */
  readonly observedUntil: number;
  /** Window start → aggregate, oldest first. */
  readonly windows: ReadonlyArray<readonly [number, A]>;
}

/**
 * An aggregate serde that can also write into the window store value's own buffer. A window
 * store rewrites every retained window of a key at each of its records: written in place, that
 * is one Buffer per record instead of one per window plus a copy of each.
 */
export interface InPlaceSerde<A> extends Serde<A> {
  /** The bytes `serializeInto` takes for `value`, as many as `serialize` would return. */
  byteLength(value: A): number;
  /** Writes the bytes `serialize` would return at `at` of `out`, which has room for them; returns the offset after them. */
  serializeInto(value: A, out: Buffer, at: number): number;
}
