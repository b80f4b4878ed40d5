import type { OutgoingRecord } from '../record.ts';
import type { StateEntry } from './backend.ts';
import { cacheClock, StoreKey, type OpenStore, type Pending, type RecordAccess } from './open-store.ts';
import { SavedBytes } from './saved-bytes.ts';
import type { KeyValueStoreRef, WindowStoreRef } from './spec.ts';
import { KeyValueView, WindowView } from './store-views.ts';
import { binaryV1, ringV2 } from './windowed-layout.ts';
import type { KeyValueStore, WindowStore } from './stores.ts';

/** The header that tells a marker from a store entry in a changelog. */
export const markerHeader = 'bridge-state-marker';

/**
 * The changelog key of the marker that says up to which input offset (of one source topic) the
 * store's changelog holds the effects: restored with the data, it lets a restarted instance skip
 * records whose updates already reached the changelog but whose offsets were never committed.
 */
export function markerKey(topic: string): Buffer {
  return Buffer.concat([markerPrefix, Buffer.from(topic, 'utf8')]);
}

const markerPrefix = Buffer.from('\u0000input-offset:', 'utf8');

/** Whether a changelog key is an input-offset marker's (of any source topic). */
export function isMarkerKey(key: Buffer): boolean {
  return key[0] === 0 && key.length >= markerPrefix.length && markerPrefix.equals(key.subarray(0, markerPrefix.length));
}

type Overlay = Map<string, Map<string, Write>>;

/** What a record that wrote nothing gives the chunk: most records of most stages (an array per record was garbage each). */
const noWrites: readonly Write[] = [];

/**
 * One write of a record's attempt: the pending write itself, with where it goes (one object per
 * write, not two). The chunk keeps the key's first accepted write and copies later ones into it,
 * so a record's write is garbage as soon as it is accepted, not kept until the key's next write.
 */
interface Write extends Pending {
  readonly store: string;
  readonly id: string;
  readonly storeKey: StoreKey;
  bytes: Buffer | null;
  value: unknown;
  reusable: boolean;
  /**
   * Set when accepted over an earlier write of the chunk whose bytes were reusable: those bytes,
   * which the key's next update may write into. A stage with a window store rewrites a key's
   * whole value at each record, and a chunk holds a key several times: it allocated a buffer per
   * record and kept each until the chunk ended.
   */
  spare: Buffer | undefined;
  view: DataView | undefined;
  spareView: DataView | undefined;
  inPlace: boolean;
}

/** Stores as one attempt of one record sees them; its writes count only once the record is accepted. */
export class RecordState implements RecordAccess {
  readonly #chunk: ChunkState;
  /** A record writes a key or two: a list, made on its first write (most attempts of most stages write none). */
  #writes: Write[] | undefined;
  /** Store name → records dropped as late. */
  #late: Map<string, number> | undefined;
  /** Where this attempt's saves of bytes it changes in place begin (SavedBytes). */
  readonly #savedFrom: number;

  constructor(chunk: ChunkState) {
    this.#chunk = chunk;
    this.#savedFrom = chunk.saved.mark();
  }

  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, A>(ref: WindowStoreRef<K, A>): WindowStore<K, A>;
  store(ref: KeyValueStoreRef<unknown, unknown> | WindowStoreRef<unknown, unknown>): KeyValueStore<unknown, unknown> | WindowStore<unknown, unknown> {
    const open = this.#chunk.open(ref.name);
    if (ref.kind === 'key-value') {
      if (open.spec.windows) throw new Error(`store "${ref.name}" is a window store; declare it with addStateStore to use it as a key-value store`);
      return new KeyValueView(this, open);
    }
    if (!open.windowed) throw new Error(`store "${ref.name}" is a key-value store, not a window store`);
    return new WindowView(this, open, open.windowed);
  }

  get tick(): number {
    return this.#chunk.tick;
  }

  get now(): number {
    return this.#chunk.now;
  }

  get writeCount(): number {
    return this.#writes?.length ?? 0;
  }

  /**
   * Lets go of the attempt's writes once the chunk has them: the record's outcome is kept until
   * the chunk ends, and its writes with it were most of what a chunk kept per record.
   */
  release(): void {
    this.#chunk.saved.forget(this.#savedFrom);
    this.#writes = undefined;
    this.#late = undefined;
  }

  /** The attempt failed: the bytes it changed in place are put back (its other writes were never accepted). */
  rollback(): void {
    this.#chunk.saved.restore(this.#savedFrom);
    this.#writes = undefined;
    this.#late = undefined;
  }

  /** The writes of this attempt, oldest first. */
  writes(): readonly Write[] {
    return this.#writes ?? noWrites;
  }

  /** Store name → records this attempt dropped as late. */
  late(): ReadonlyMap<string, number> | undefined {
    return this.#late;
  }

  pending(open: OpenStore, key: StoreKey): Pending | undefined {
    const writes = this.#writes;
    if (writes) {
      const store = open.spec.name;
      for (let i = writes.length - 1; i >= 0; i -= 1) {
        const write = writes[i]!;
        if (write.id === key.id && write.store === store) return write;
      }
    }
    return this.#chunk.pending(open, key);
  }

  write(store: string, key: StoreKey, bytes: Buffer | null, value: unknown, reusable = false, view?: DataView): void {
    this.#add({ store, id: key.id, storeKey: key, key: key.bytes, bytes, value, reusable, spare: undefined, view, spareView: undefined, inPlace: false });
  }

  writeInPlace(store: string, key: StoreKey, bytes: Buffer, view: DataView): void {
    this.#add({ store, id: key.id, storeKey: key, key: key.bytes, bytes, value: bytes, reusable: false, spare: undefined, view, spareView: undefined, inPlace: true });
  }

  saving(bytes: DataView, at: number, length: number): void {
    this.#chunk.saved.saving(bytes, at, length);
  }

  #add(write: Write): void {
    if (this.#writes) this.#writes.push(write);
    else this.#writes = [write];
  }

  read(open: OpenStore, key: StoreKey): Promise<unknown> {
    return this.#chunk.read(open, key);
  }

  stored(open: OpenStore, key: StoreKey): Buffer | undefined {
    return this.#chunk.stored(open, key);
  }

  dropped(store: string): void {
    this.#late ??= new Map();
    countIn(this.#late, store, 1);
  }
}

/**
 * The stores of one partition while a chunk runs: accepted records' writes wait here until the
 * chunk's changelog is durable, then go to local storage.
 */
export class ChunkState {
  readonly partition: number;
  readonly #stores: ReadonlyMap<string, OpenStore>;
  readonly #pending: Overlay = new Map();
  readonly #late = new Map<string, number>();
  /** Store name → keys the retention sweep deleted in this chunk. */
  readonly #expired = new Map<string, number>();
  /** Store name → keys read from local storage: the ones its key cache did not hold. */
  readonly #storageReads = new Map<string, number>();
  /** This chunk's `cacheClock` tick. */
  readonly #tick: number;
  /** @internal what records change in place, until each is accepted or fails */
  readonly saved = new SavedBytes();
  #built: { readonly markers: ReadonlyArray<{ topic: string; nextOffset: string }>; readonly byStore: Map<string, StateEntry[]> } | undefined;

  /** The clock when the chunk began (epoch ms): what a window store holds an event time ahead of it against. */
  readonly now: number;

  constructor(partition: number, stores: ReadonlyMap<string, OpenStore>, now = Date.now()) {
    this.partition = partition;
    this.#stores = stores;
    this.now = now;
    cacheClock.tick += 1;
    this.#tick = cacheClock.tick;
  }

  /** This chunk's `cacheClock` tick: a key's `pendingTick` says whether its write (and ring) is this chunk's. */
  get tick(): number {
    return this.#tick;
  }

  /** A fresh view for one attempt of one record. */
  record(): RecordState {
    return new RecordState(this);
  }

  /** The record finished: later records of the chunk see its writes, and the chunk's changelog carries them. */
  accept(record: RecordState): void {
    for (const write of record.writes()) {
      let writes = this.#pending.get(write.store);
      if (!writes) {
        writes = new Map();
        this.#pending.set(write.store, writes);
      }
      const replaced = writes.get(write.id);
      if (!replaced) {
        writes.set(write.id, write);
        holdWrite(write.storeKey, write, this.#tick);
        continue;
      }
      replaced.spare = replaced.reusable && replaced.bytes !== write.bytes ? (replaced.bytes ?? undefined) : undefined;
      replaced.spareView = replaced.spare === undefined ? undefined : replaced.view;
      replaced.bytes = write.bytes;
      replaced.view = write.view;
      replaced.value = write.value;
      replaced.reusable = write.reusable;
      replaced.inPlace = write.inPlace;
      // The key the record found (a new one when the cache let go of the first since) holds the chunk's write from now on.
      holdWrite(write.storeKey, replaced, this.#tick);
    }
    const late = record.late();
    if (late) for (const [store, n] of late) countIn(this.#late, store, n);
    record.release();
  }

  /**
   * The retention sweep: up to `limit` keys of each window store, in turn (`keysInTurn`), are
   * deleted when their latest event time lies more than a window and the retention before the
   * store's stream time (capped at `now`, so a record from a clock far ahead cannot expire
   * everyone): every window they hold is past retention. A deletion is a write of the chunk like
   * any other (a changelog tombstone, then local storage), so it is as durable as the chunk. A
   * key the chunk wrote is not expired. Retention was counted per key only, from that key's own
   * latest event, so a key that was never written again kept its last windows for good.
   */
  sweep(limit: number, now: number): void {
    for (const open of this.#stores.values()) {
      const windows = open.spec.windows;
      if (!windows || !open.windowed) continue;
      const horizon = Math.min(open.streamTime, now) - windows.sizeMs - windows.retentionMs;
      if (!Number.isFinite(horizon)) continue;
      const store = open.spec.name;
      const written = this.#pending.get(store);
      // The deletions go in as a record's writes do.
      const deletions = this.record();
      for (const key of open.storage.keysInTurn(limit)) {
        // The runtime's own keys (input-offset markers) are NUL-led.
        if (key[0] === 0) continue;
        const id = key.toString('latin1');
        if (written?.has(id)) continue;
        const cached = open.keys.byId(id);
        const value = cached?.cached ? (cached.value as Buffer | undefined) : open.storage.get(key);
        if (value === undefined || value.length < 9 || (value[0] !== binaryV1 && value[0] !== ringV2)) continue;
        // Both binary layouts keep the key's latest event time at byte 1.
        if (!(value.readDoubleLE(1) < horizon)) continue;
        // A key the cache let go of is not taken back into it for its deletion.
        deletions.write(store, cached ?? new StoreKey(key, id), null, undefined);
      }
      const expired = deletions.writeCount;
      this.accept(deletions);
      if (expired > 0) countIn(this.#expired, store, expired);
    }
  }

  /** Store name → keys the retention sweep deleted in this chunk. */
  expiredCounts(): ReadonlyMap<string, number> {
    return this.#expired;
  }

  /** Store name → records dropped as late, of the accepted records. */
  lateCounts(): ReadonlyMap<string, number> {
    return this.#late;
  }

  /**
   * Store name → keys the chunk read from local storage because the store's key cache did not
   * hold them (new to this instance, or let go of: see STATE_CACHE_KEYS).
   */
  storageReads(): ReadonlyMap<string, number> {
    return this.#storageReads;
  }

  /** Changelog records of the accepted writes, each store's ending with its input-offset markers. */
  changelog(markers: ReadonlyArray<{ topic: string; nextOffset: string }>, timestamp: number): OutgoingRecord[] {
    const out: OutgoingRecord[] = [];
    for (const { spec } of this.#stores.values()) {
      const node = `${spec.name}-changelog`;
      for (const entry of this.#entries(spec.name, markers)) {
        const marker = isMarkerKey(entry.key);
        out.push({
          topic: spec.changelogTopic,
          partition: this.partition,
          key: entry.key,
          value: entry.value,
          headers: marker ? { [markerHeader]: 'input-offset' } : {},
          timestamp,
          node,
        });
      }
    }
    return out;
  }

  /**
   * Writes the accepted changes to local storage, once the changelog holding them is durable.
   * `changelogOffsets`: where each changelog topic's records of this chunk begin, the store's
   * checkpoint from now on (a restore replays this chunk's records at most).
   */
  async apply(markers: ReadonlyArray<{ topic: string; nextOffset: string }>, changelogOffsets?: ReadonlyMap<string, string>): Promise<void> {
    for (const open of this.#stores.values()) {
      const entries = this.#entries(open.spec.name, markers);
      const first = changelogOffsets?.get(open.spec.changelogTopic);
      await open.storage.write(entries, first);
      // Every entry is one changelog record, written together after `first`.
      if (first !== undefined) open.ownChangelogEnd = String(BigInt(first) + BigInt(entries.length));
      // The changelog carries them now, after the entries left out.
      open.unsealed = undefined;
      // The key as the cache holds it now (the one a write was made with may have been let go since).
      for (const [id, pending] of this.#pending.get(open.spec.name) ?? []) {
        // Let go of here, not kept with a key until its next write.
        pending.storeKey.pendingWrite = undefined;
        const key = open.keys.byId(id);
        if (!key) continue;
        key.pendingWrite = undefined;
        // The ring this value replaces is held by no one now (storage took the new one above): the key's next chunk copies into it.
        if (key.owned && key.value !== pending.bytes) {
          key.spare = key.value as Buffer;
          key.spareView = key.view;
        }
        key.value = pending.value;
        key.view = pending.view;
        key.owned = pending.inPlace;
        key.cached = true;
      }
    }
  }

  /** @internal read path of RecordState */
  open(name: string): OpenStore {
    const open = this.#stores.get(name);
    if (!open) throw new Error(`no state store named "${name}" in this topology; declare it with addStateStore or addWindowStore`);
    return open;
  }

  /**
   * @internal read path of RecordState: a value from local storage, decoded once and kept with
   * the key. Steps get the decoded object itself, so they must not mutate it: writes go through put.
   */
  async read(open: OpenStore, key: StoreKey): Promise<unknown> {
    if (key.cached) return key.value;
    const stored = this.#fromStorage(open, key);
    const value = stored === undefined ? undefined : await open.spec.value.deserialize(stored, open.spec.changelogTopic);
    key.value = value;
    key.cached = true;
    return value;
  }

  /** @internal read path of a window store: its stored bytes, kept with the key. */
  stored(open: OpenStore, key: StoreKey): Buffer | undefined {
    if (key.cached) return key.value as Buffer | undefined;
    const stored = this.#fromStorage(open, key);
    key.value = stored;
    key.view = undefined;
    key.cached = true;
    return stored;
  }

  #fromStorage(open: OpenStore, key: StoreKey): Buffer | undefined {
    countIn(this.#storageReads, open.spec.name, 1);
    return open.storage.get(key.bytes);
  }

  /**
   * @internal read path of RecordState: the write the key holds when it is this chunk's; else
   * the chunk's maps only when the key's cache let go of keys since the chunk began (a write may
   * then be held by the StoreKey let go of).
   */
  pending(open: OpenStore, key: StoreKey): Pending | undefined {
    if (key.pendingTick === this.#tick) return key.pendingWrite;
    if (open.keys.evictedAt < this.#tick) return undefined;
    return this.#pending.get(open.spec.name)?.get(key.id);
  }

  /**
   * Each store's entries for the chunk's markers, made once: the changelog and then local storage
   * take the same ones (the storage reads of the markers and the copies were made twice).
   */
  #entries(store: string, markers: ReadonlyArray<{ topic: string; nextOffset: string }>): StateEntry[] {
    if (this.#built?.markers !== markers) this.#built = { markers, byStore: new Map() };
    let entries = this.#built.byStore.get(store);
    if (!entries) {
      entries = this.#build(store, markers);
      this.#built.byStore.set(store, entries);
    }
    return entries;
  }

  #build(store: string, markers: ReadonlyArray<{ topic: string; nextOffset: string }>): StateEntry[] {
    const written = this.#pending.get(store);
    const entries: StateEntry[] = [...(written?.values() ?? [])].map((p) => ({ key: p.key, value: p.bytes, id: p.id }));
    const open = this.#stores.get(store);
    const storage = open?.storage;
    // Keys a restore left out entries of: their value as it stands, after those entries.
    for (const [id, key] of open?.unsealed ?? []) if (!written?.has(id)) entries.push({ key, value: storage?.get(key) ?? null, id });
    for (const m of markers) {
      // Never backwards: a replay of records the changelog already covers (input offsets that were
      // not committed when the previous owner stopped) ends below the marker it skipped them by.
      const key = markerKey(m.topic);
      const current = storage?.get(key);
      const ahead = current !== undefined && BigInt(current.toString('utf8')) > BigInt(m.nextOffset);
      entries.push({ key, value: ahead ? current : Buffer.from(m.nextOffset, 'utf8') });
    }
    return entries;
  }
}

/**
 * The key holds the chunk's accepted write of it, and the write's value itself when that is a ring
 * folded in place (forgotten when a write of another kind replaced the ring): a record's scan and
 * fold then reach the ring through the key alone. Through the pending write and its buffer, each a
 * cache miss at every event, a user's ring was two more steps away.
 */
function holdWrite(key: StoreKey, write: Write, tick: number): void {
  key.pendingTick = tick;
  key.pendingWrite = write;
  const ring = write.inPlace && write.view !== undefined && write.bytes !== null ? write.bytes : undefined;
  key.ring = ring;
  key.ringView = ring === undefined ? undefined : write.view;
}

/** Adds `n` to a store's count: the late drops and storage reads a record or chunk counts per store. */
function countIn(counts: Map<string, number>, store: string, n: number): void {
  counts.set(store, (counts.get(store) ?? 0) + n);
}
