import type { OutgoingRecord } from '../record.ts';
import type { PartitionStorage, StateEntry } from './backend.ts';
import type { Serde } from '../serde.ts';
import type { KeyValueStoreRef, StateStoreSpec, WindowStoreRef } from './spec.ts';
import type { KeyValueStore, TimeWindow, WindowStore, Windowed } from './stores.ts';
import { binaryValue, foldStored, WindowCursor, type WindowedCodec } from './windowed-bytes.ts';

/** The header that tells a marker from a store entry in a changelog. */
export const markerHeader = 'bridge-state-marker';

/**
 * The changelog key of the marker that says up to which input offset (of one source topic) the
 * store's changelog holds the effects: restored with the data, it lets a restarted instance skip
 * records whose updates already reached the changelog but whose offsets were never committed.
 */
export function markerKey(topic: string): Buffer {
  return Buffer.from(`\u0000input-offset:${topic}`, 'utf8');
}

export interface OpenStore {
  readonly spec: StateStoreSpec;
  readonly storage: PartitionStorage;
  /**
   * Values of recently used keys as the store's view uses them, so a hot key is not read and
   * decoded on every record: decoded for a key-value store, the stored bytes for a window store.
   */
  readonly decoded: DecodedCache;
}

/** A bounded map of decoded values (oldest entry dropped first); `undefined` caches an absent key. */
export class DecodedCache {
  readonly #entries = new Map<string, unknown>();
  readonly #capacity: number;

  constructor(capacity = 20_000) {
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): unknown {
    return this.#entries.get(id);
  }

  set(id: string, value: unknown): void {
    this.#entries.delete(id);
    this.#entries.set(id, value);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  clear(): void {
    this.#entries.clear();
  }
}

interface Pending {
  readonly key: Buffer;
  readonly bytes: Buffer | null;
  /** The value as the store's view uses it (decoded; bytes for a window store; undefined after delete), so reads in the same chunk skip the serde. */
  readonly value: unknown;
}

type Overlay = Map<string, Map<string, Pending>>;

/** A store key as bytes (what the changelog and storage use) and as the id of the maps that hold writes. */
interface StoreKey {
  readonly bytes: Buffer;
  readonly id: string;
}

/** Stores as one attempt of one record sees them; its writes count only once the record is accepted. */
export class RecordState {
  readonly #chunk: ChunkState;
  readonly writes: Overlay = new Map();
  /** Store name → records dropped as late. */
  readonly late = new Map<string, number>();

  constructor(chunk: ChunkState) {
    this.#chunk = chunk;
  }

  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, A>(ref: WindowStoreRef<K, A>): WindowStore<K, A>;
  store(ref: KeyValueStoreRef<unknown, unknown> | WindowStoreRef<unknown, unknown>): KeyValueStore<unknown, unknown> | WindowStore<unknown, unknown> {
    const open = this.#chunk.open(ref.name);
    if (ref.kind === 'key-value') {
      if (open.spec.windows) throw new Error(`store "${ref.name}" is a window store; declare it with addStateStore to use it as a key-value store`);
      return this.#keyValue(open);
    }
    const { windows, aggregate } = open.spec;
    if (!windows || !aggregate) throw new Error(`store "${ref.name}" is a key-value store, not a window store`);
    return this.#window(open, { windows, aggregate, value: open.spec.value as Serde<Windowed<unknown>>, topic: open.spec.changelogTopic });
  }

  /** A window store works on its values' bytes (windowed-bytes.ts): its pending writes and cache hold bytes. */
  #window(open: OpenStore, codec: WindowedCodec<unknown>): WindowStore<unknown, unknown> {
    const keyOf = this.#keys(open.spec);
    const current = (key: StoreKey): Buffer | undefined => {
      const pending = this.#pending(open.spec.name, key.id);
      return pending ? (pending.bytes ?? undefined) : this.#chunk.stored(open, key.bytes, key.id);
    };
    const scan = async (key: unknown): Promise<WindowCursor> => new WindowCursor(codec.windows, await binaryValue(codec, current(await keyOf(key))));
    return {
      update: async (key, timestamp, fold) => {
        const k = await keyOf(key);
        const next = await foldStored(codec, current(k), timestamp, fold);
        if (!next) {
          this.late.set(open.spec.name, (this.late.get(open.spec.name) ?? 0) + 1);
          return false;
        }
        this.#write(open.spec.name, k, { key: k.bytes, bytes: next, value: next });
        return true;
      },
      scan,
      fetch: async (key) => {
        const windows: Array<TimeWindow<unknown>> = [];
        for (const stored = await scan(key); stored.next(); ) {
          const aggregate = await codec.aggregate.deserialize(stored.bytes.subarray(stored.at, stored.at + stored.length), codec.topic);
          windows.push({ start: stored.start, end: stored.start + codec.windows.sizeMs, value: aggregate });
        }
        return windows;
      },
    };
  }

  #keyValue(open: OpenStore): KeyValueStore<unknown, unknown> {
    const { spec } = open;
    const keyOf = this.#keys(spec);
    return {
      get: async (key) => {
        const k = await keyOf(key);
        const pending = this.#pending(spec.name, k.id);
        if (pending) return pending.value;
        return this.#chunk.read(open, k.bytes, k.id);
      },
      put: async (key, value) => {
        const k = await keyOf(key);
        this.#write(spec.name, k, { key: k.bytes, bytes: await spec.value.serialize(value, spec.changelogTopic), value });
      },
      delete: async (key) => {
        const k = await keyOf(key);
        this.#write(spec.name, k, { key: k.bytes, bytes: null, value: undefined });
      },
    };
  }

  /** A step reads and writes the same key (a window store's scan, then its update): serialize it once. */
  #keys(spec: StateStoreSpec): (key: unknown) => StoreKey | Promise<StoreKey> {
    let lastKey: unknown;
    let last: StoreKey | undefined;
    const resolved = (key: unknown, bytes: Buffer | null): StoreKey => {
      if (bytes === null) throw new Error(`store "${spec.name}" cannot hold a null key`);
      const storeKey = { bytes, id: bytes.toString('latin1') };
      // Only a primitive key is known not to have changed since.
      if (typeof key !== 'object' && typeof key !== 'function') {
        lastKey = key;
        last = storeKey;
      }
      return storeKey;
    };
    return (key) => {
      if (last !== undefined && Object.is(key, lastKey)) return last;
      const bytes = spec.key.serialize(key, spec.changelogTopic);
      return bytes instanceof Promise ? bytes.then((b) => resolved(key, b)) : resolved(key, bytes);
    };
  }

  #pending(store: string, id: string): Pending | undefined {
    return this.writes.get(store)?.get(id) ?? this.#chunk.pending(store, id);
  }

  #write(store: string, key: StoreKey, pending: Pending): void {
    let writes = this.writes.get(store);
    if (!writes) {
      writes = new Map();
      this.writes.set(store, writes);
    }
    writes.set(key.id, pending);
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

  constructor(partition: number, stores: ReadonlyMap<string, OpenStore>) {
    this.partition = partition;
    this.#stores = stores;
  }

  /** A fresh view for one attempt of one record. */
  record(): RecordState {
    return new RecordState(this);
  }

  /** The record finished: later records of the chunk see its writes, and the chunk's changelog carries them. */
  accept(record: RecordState): void {
    for (const [store, writes] of record.writes) {
      const pending = this.#pending.get(store) ?? new Map<string, Pending>();
      for (const [id, entry] of writes) pending.set(id, entry);
      this.#pending.set(store, pending);
    }
    for (const [store, n] of record.late) this.#late.set(store, (this.#late.get(store) ?? 0) + n);
  }

  /** Store name → records dropped as late, of the accepted records. */
  lateCounts(): ReadonlyMap<string, number> {
    return this.#late;
  }

  /** Changelog records of the accepted writes, each store's ending with its input-offset markers. */
  changelog(markers: ReadonlyArray<{ topic: string; nextOffset: string }>, timestamp: number): OutgoingRecord[] {
    const out: OutgoingRecord[] = [];
    for (const { spec } of this.#stores.values()) {
      for (const entry of this.#entries(spec.name, markers)) {
        const marker = entry.key[0] === 0 && markers.some((m) => markerKey(m.topic).equals(entry.key));
        out.push({
          topic: spec.changelogTopic,
          partition: this.partition,
          key: entry.key,
          value: entry.value,
          headers: marker ? { [markerHeader]: 'input-offset' } : {},
          timestamp,
          node: `${spec.name}-changelog`,
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
      await open.storage.write(this.#entries(open.spec.name, markers), changelogOffsets?.get(open.spec.changelogTopic));
      for (const [id, pending] of this.#pending.get(open.spec.name) ?? []) open.decoded.set(id, pending.value);
    }
  }

  /** @internal read path of RecordState */
  open(name: string): OpenStore {
    const open = this.#stores.get(name);
    if (!open) throw new Error(`no state store named "${name}" in this topology; declare it with addStateStore or addWindowStore`);
    return open;
  }

  /**
   * @internal read path of RecordState: a value from local storage, decoded once and kept in
   * the store's cache. Steps get the decoded object itself, so they must not mutate it: writes
   * go through put.
   */
  async read(open: OpenStore, bytes: Buffer, id: string): Promise<unknown> {
    if (open.decoded.has(id)) return open.decoded.get(id);
    const stored = open.storage.get(bytes);
    const value = stored === undefined ? undefined : await open.spec.value.deserialize(stored, open.spec.changelogTopic);
    open.decoded.set(id, value);
    return value;
  }

  /** @internal read path of a window store: its stored bytes, kept in the store's cache. */
  stored(open: OpenStore, bytes: Buffer, id: string): Buffer | undefined {
    if (open.decoded.has(id)) return open.decoded.get(id) as Buffer | undefined;
    const stored = open.storage.get(bytes);
    open.decoded.set(id, stored);
    return stored;
  }

  /** @internal read path of RecordState */
  pending(store: string, id: string): Pending | undefined {
    return this.#pending.get(store)?.get(id);
  }

  #entries(store: string, markers: ReadonlyArray<{ topic: string; nextOffset: string }>): StateEntry[] {
    const entries: StateEntry[] = [...(this.#pending.get(store)?.values() ?? [])].map((p) => ({ key: p.key, value: p.bytes }));
    const storage = this.#stores.get(store)?.storage;
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
