import type { OpenStore, Pending, RecordAccess, StoreKey } from './open-store.ts';
import type { InPlaceFold, KeyValueStore, TimeWindow, WindowFold, WindowStore } from './stores.ts';
import { binaryValue, foldStored, WindowCursor, type WindowedCodec } from './windowed-bytes.ts';
import { foldInRing, isRingFor, ringLength, writeRing } from './windowed-in-place.ts';
import { viewOf } from './windowed-layout.ts';

/*
 * The stores as a step sees them (`ctx.store(ref)`), one view per call. Classes rather than
 * objects of closures: a view is made for every record of a stage with state.
 */

class KeyedView {
  protected readonly access: RecordAccess;
  protected readonly open: OpenStore;
  #lastKey: unknown;
  #last: StoreKey | undefined;

  constructor(access: RecordAccess, open: OpenStore) {
    this.access = access;
    this.open = open;
  }

  /** A step reads and writes the same key (a window store's scan, then its update): found once. */
  protected keyOf(key: unknown): StoreKey | Promise<StoreKey> {
    if (this.#last !== undefined && Object.is(key, this.#lastKey)) return this.#last;
    const known = typeof key === 'string' ? this.open.keys.byText(key) : undefined;
    if (known !== undefined) return this.#remember(key, known);
    const bytes = this.open.spec.key.serialize(key, this.open.spec.changelogTopic);
    return bytes instanceof Promise ? bytes.then((b) => this.#resolved(key, b)) : this.#resolved(key, bytes);
  }

  #resolved(key: unknown, bytes: Buffer | null): StoreKey {
    if (bytes === null) throw new Error(`store "${this.open.spec.name}" cannot hold a null key`);
    // Only a primitive key is known not to have changed since; a string finds its key again later.
    const storeKey = this.open.keys.add(bytes, typeof key === 'string' ? key : undefined);
    if (typeof key === 'object' || typeof key === 'function') return storeKey;
    return this.#remember(key, storeKey);
  }

  #remember(key: unknown, storeKey: StoreKey): StoreKey {
    this.#lastKey = key;
    this.#last = storeKey;
    return storeKey;
  }
}

export class KeyValueView extends KeyedView implements KeyValueStore<unknown, unknown> {
  async get(key: unknown): Promise<unknown> {
    const k = await this.keyOf(key);
    const pending = this.access.pending(this.open, k);
    if (pending) return pending.value;
    return this.access.read(this.open, k);
  }

  async put(key: unknown, value: unknown): Promise<void> {
    const k = await this.keyOf(key);
    const { spec } = this.open;
    this.access.write(spec.name, k, await spec.value.serialize(value, spec.changelogTopic), value);
  }

  async delete(key: unknown): Promise<void> {
    const k = await this.keyOf(key);
    this.access.write(this.open.spec.name, k, null, undefined);
  }
}

/** A window store works on its values' bytes (windowed-bytes.ts): its pending writes and cache hold bytes. */
export class WindowView extends KeyedView implements WindowStore<unknown, unknown> {
  readonly #codec: WindowedCodec<unknown>;
  #readKey: StoreKey | undefined;
  #readWrites = 0;
  #read: Buffer | undefined;
  #readPending: Pending | undefined;
  #readView: DataView | undefined;

  constructor(access: RecordAccess, open: OpenStore, codec: WindowedCodec<unknown>) {
    super(access, open);
    this.#codec = codec;
  }

  // Synchronous unless a serde answers with a promise, and without a closure then: these run for
  // every record of a stage with a window store.
  update(key: unknown, timestamp: number, fold: WindowFold<unknown>): boolean | Promise<boolean> {
    // A record far ahead of the clock would close windows still open now: one event from a device
    // clock a year ahead would have every later record of its key dropped as late. It is dropped
    // itself, and counted as a late one is. Far: more than `aheadMs`, by default the grace period
    // or a window, whichever is longer (a store without grace still takes a clock a little ahead).
    const { graceMs, sizeMs, aheadMs } = this.#codec.windows;
    if (timestamp - this.access.now > (aheadMs ?? Math.max(graceMs, sizeMs))) {
      this.access.dropped(this.open.spec.name);
      return false;
    }
    if (timestamp > this.open.streamTime) this.open.streamTime = timestamp;
    const k = this.keyOf(key);
    return k instanceof Promise ? k.then((known) => this.#update(known, timestamp, fold)) : this.#update(k, timestamp, fold);
  }

  scan(key: unknown, from?: number, to?: number): WindowCursor | Promise<WindowCursor> {
    const k = this.keyOf(key);
    return k instanceof Promise ? k.then((known) => this.#scan(known, from, to)) : this.#scan(k, from, to);
  }

  #update(k: StoreKey, timestamp: number, fold: WindowFold<unknown>): boolean | Promise<boolean> {
    if (typeof fold !== 'function') return this.#updateInPlace(k, timestamp, fold);
    const current = this.#current(k);
    // The spare of the write #current found (none when the record wrote the key itself: its own writes have none).
    const into = this.#readPending?.spare;
    const intoView = this.#readPending?.spareView;
    const next = foldStored(this.#codec, current, timestamp, fold, current === undefined ? undefined : this.#viewOfRead(), into);
    if (next instanceof Promise) return next.then((bytes) => this.#written(k, bytes, undefined));
    return this.#written(k, next, next === into ? intoView : undefined);
  }

  /**
   * Folds the record into the chunk's ring of the key (windowed-in-place.ts): the ring an earlier
   * update of the chunk made, else one made now from the key's value, in the buffer of the key's
   * previous ring when it has one.
   */
  #updateInPlace(k: StoreKey, timestamp: number, fold: InPlaceFold): boolean | Promise<boolean> {
    const ring = this.#chunkRing(k);
    if (ring !== undefined && isRingFor(this.#codec.windows, fold, ring)) return this.#foldInRing(ring, timestamp, fold);
    const current = this.#current(k);
    const pending = this.#readPending;
    // The chunk's ring, unless another fold of the record's step wrote it in another layout.
    if (pending?.inPlace === true && pending.bytes === current && current !== undefined && isRingFor(this.#codec.windows, fold, this.#viewOfRead())) return this.#foldInRing(this.#viewOfRead(), timestamp, fold);
    const binary = binaryValue(this.#codec, current);
    if (binary instanceof Promise) return binary.then((b) => this.#intoRing(k, b, b === undefined ? undefined : viewOf(b), timestamp, fold));
    return this.#intoRing(k, binary, binary === undefined ? undefined : this.#viewOfRead(), timestamp, fold);
  }

  #intoRing(k: StoreKey, current: Buffer | undefined, currentView: DataView | undefined, timestamp: number, fold: InPlaceFold): boolean {
    const { windows } = this.#codec;
    const length = ringLength(windows, fold);
    let bytes: Buffer;
    let view: DataView;
    if (k.spare !== undefined && k.spare.length === length && k.spareView !== undefined) {
      bytes = k.spare;
      view = k.spareView;
      k.spare = k.spareView = undefined;
    } else {
      bytes = Buffer.allocUnsafe(length);
      view = viewOf(bytes);
    }
    writeRing(windows, fold, current, currentView, bytes, view);
    if (!foldInRing(windows, fold, view, timestamp, this.access)) {
      // Nothing holds the buffer: the key's next chunk may still copy into it.
      k.spare = bytes;
      k.spareView = view;
      this.access.dropped(this.open.spec.name);
      return false;
    }
    this.access.writeInPlace(this.open.spec.name, k, bytes, view);
    this.#remembered(k, bytes, this.access.pending(this.open, k));
    this.#readView = view;
    return true;
  }

  #foldInRing(view: DataView, timestamp: number, fold: InPlaceFold): boolean {
    if (foldInRing(this.#codec.windows, fold, view, timestamp, this.access)) return true;
    this.access.dropped(this.open.spec.name);
    return false;
  }

  #written(k: StoreKey, next: Buffer | undefined, view: DataView | undefined): boolean {
    const store = this.open.spec.name;
    if (!next) {
      this.access.dropped(store);
      return false;
    }
    // Every value foldStored answers is a new buffer or the chunk's spare: reusable.
    this.access.write(store, k, next, next, true, view);
    this.#remembered(k, next, undefined);
    return true;
  }

  /**
   * The chunk's ring of the key as the key keeps it (StoreKey's `ring`), when this record has
   * written nothing yet (else its own writes are what it reads): what most events of a chunk scan
   * and fold, reached without the pending write, its buffer or the remembered read.
   */
  #chunkRing(k: StoreKey): DataView | undefined {
    return k.pendingTick === this.access.tick && this.access.writeCount === 0 ? k.ringView : undefined;
  }

  #scan(k: StoreKey, from: number | undefined, to: number | undefined): WindowCursor | Promise<WindowCursor> {
    const ring = this.#chunkRing(k);
    if (ring !== undefined) return new WindowCursor(this.#codec.windows, k.ring, ring, from, to);
    const current = this.#current(k);
    const binary = binaryValue(this.#codec, current);
    if (binary instanceof Promise) return binary.then((b) => new WindowCursor(this.#codec.windows, b, undefined, from, to));
    return new WindowCursor(this.#codec.windows, binary, binary === current && binary !== undefined ? this.#viewOfRead() : undefined, from, to);
  }

  async fetch(key: unknown): Promise<Array<TimeWindow<unknown>>> {
    const { aggregate, topic, windows: spec } = this.#codec;
    const windows: Array<TimeWindow<unknown>> = [];
    for (const stored = await this.scan(key); stored.next(); ) {
      const value = await aggregate.deserialize(stored.bytes.subarray(stored.at, stored.at + stored.length), topic);
      windows.push({ start: stored.start, end: stored.start + spec.sizeMs, value });
    }
    return windows;
  }

  /**
   * The key's value as this record sees it. A step scans a key and then updates it: the second
   * look is the first's answer, unless another view of the record wrote in between.
   */
  #current(key: StoreKey): Buffer | undefined {
    if (this.#readKey === key && this.#readWrites === this.access.writeCount) return this.#read;
    const pending = this.access.pending(this.open, key);
    const value = pending ? (pending.bytes ?? undefined) : this.access.stored(this.open, key);
    this.#remembered(key, value, pending);
    return value;
  }

  #remembered(key: StoreKey, value: Buffer | undefined, pending: Pending | undefined): void {
    this.#readKey = key;
    this.#readWrites = this.access.writeCount;
    this.#read = value;
    this.#readPending = pending;
    this.#readView = undefined;
  }

  /** A DataView of the remembered value: the one kept with its pending write or its key, else one made for the scan and the update of the record. */
  #viewOfRead(): DataView {
    if (this.#readView !== undefined) return this.#readView;
    const read = this.#read!;
    const pending = this.#readPending;
    const key = this.#readKey;
    let view: DataView;
    if (pending !== undefined && pending.bytes === read) view = pending.view ??= viewOf(read);
    else if (key !== undefined && key.value === read) view = key.view ??= viewOf(read);
    else view = viewOf(read);
    this.#readView = view;
    return view;
  }
}
