import type { PartitionStorage } from './backend.ts';
import type { StateStoreSpec } from './spec.ts';
import type { Windowed } from './stores.ts';
import type { Serde } from '../serde.ts';
import type { WindowedCodec } from './windowed-bytes.ts';

/** A store of one partition, open on this instance. */
export interface OpenStore {
  readonly spec: StateStoreSpec;
  readonly storage: PartitionStorage;
  /** Recently used keys with their committed values: see KeyCache. */
  readonly keys: KeyCache;
  /** Set for a window store: what its view needs to work on the values' bytes. */
  readonly windowed?: WindowedCodec<unknown>;
  /** A window store's stream time on this instance: the latest event time of a record it was asked to fold (-Infinity before one). */
  streamTime: number;
  /**
   * The changelog offset after this instance's last write of the partition (the last chunk
   * applied here), as Kafka Streams checkpoints what its own producer wrote at a clean close.
   */
  ownChangelogEnd?: string;
  /**
   * Keys whose entries the restore left out (a chunk cut short after the changelog's last
   * marker), by id: the next chunk's changelog carries each one's value as restored, so a later
   * restore that applies those entries (once a marker follows them) applies these after them.
   */
  unsealed?: ReadonlyMap<string, Buffer>;
}

/**
 * A store key as bytes (what the changelog and storage use), as the id of the maps that hold
 * writes, and the key's committed value as the store's view uses it (decoded for a key-value
 * store, the stored bytes for a window store) once read or written here.
 */
export class StoreKey {
  readonly bytes: Buffer;
  readonly id: string;
  /** The step's key this one was found by, when a string (KeyCache finds it by that too). */
  text: string | undefined;
  /** Whether `value` holds the committed value (undefined: the key has none). */
  cached = false;
  value: unknown = undefined;
  /** A DataView of `value` when it is a window store's bytes, made on its first read. */
  view: DataView | undefined = undefined;
  /** Found by a step since the cache last passed over it: kept once more when the cache is full (KeyCache). */
  used = false;
  /**
   * Whether `value` is a window store's ring a chunk made (an in-place update's), which nothing
   * outside the store holds once a later chunk's value replaces it: local storage and its held
   * writes keep a key's latest value only, and the changelog was sent before.
   */
  owned = false;
  /** The key's previous ring once `owned` was replaced, with its DataView: the next chunk's copy of the key's value goes into it. */
  spare: Buffer | undefined = undefined;
  spareView: DataView | undefined = undefined;
  /**
   * The running chunk's accepted write of the key, found without the chunk's maps (a record of a
   * user reached the key, the write and the value through three lookups of memory cold at every
   * event): `pendingWrite` is the write of the chunk whose `cacheClock` tick is `pendingTick`.
   */
  pendingTick = 0;
  pendingWrite: Pending | undefined = undefined;
  /**
   * The value of `pendingWrite` when it is a ring an in-place update folds into (`ring`, with its
   * DataView), set with it (ChunkState's holdWrite): valid while `pendingTick` is the running
   * chunk's tick, the value a record reads unless it wrote the key itself.
   */
  ring: Buffer | undefined = undefined;
  ringView: DataView | undefined = undefined;

  constructor(bytes: Buffer, id: string) {
    this.bytes = bytes;
    this.id = id;
  }
}

/** `cacheKeys`: keys the store's cache holds at most (KeyCache). */
export function openStore(spec: StateStoreSpec, storage: PartitionStorage, cacheKeys = defaultCacheKeys): OpenStore {
  const { windows, aggregate } = spec;
  const windowed = windows && aggregate ? { windows, aggregate, value: spec.value as Serde<Windowed<unknown>>, topic: spec.changelogTopic } : undefined;
  return { spec, storage, keys: new KeyCache(cacheKeys), ...(windowed ? { windowed } : {}), streamTime: Number.NEGATIVE_INFINITY };
}

/** Ticks once per chunk begun (ChunkState): what `KeyCache.evictedAt` and `StoreKey.pendingTick` are counted in. */
export const cacheClock = { tick: 0 };

/** Keys a store's cache holds at most, per partition, unless the stage says otherwise (STATE_CACHE_KEYS). */
export const defaultCacheKeys = 20_000;

/**
 * Recent keys of a store partition, found by the step's string key or by id, each with its
 * committed value, so a user's record finds its key's bytes and value in one lookup: the key and
 * the value were two maps, and at a live rate a user's entries are cold in both (`bench:state`'s
 * live part). A key is found by at most one string.
 *
 * Full, it lets go of an eighth of its keys, oldest first, passing over the ones a step found
 * since the last time (a second chance, as a clock cache gives): letting go of the oldest
 * inserted alone dropped a user who sends every minute as soon as enough others had sent once.
 * A least-recently-used order would move a key at every lookup (two map operations per record);
 * this sets a flag.
 */
export class KeyCache {
  /** The `cacheClock` tick of the last time keys were let go of: a chunk begun before it may hold writes of keys now found as new StoreKeys. */
  evictedAt = 0;
  readonly #byText = new Map<string, StoreKey>();
  readonly #byId = new Map<string, StoreKey>();
  readonly #capacity: number;

  constructor(capacity = defaultCacheKeys) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`a store's key cache holds at least one key; got ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#byId.size;
  }

  byText(text: string): StoreKey | undefined {
    const key = this.#byText.get(text);
    if (key !== undefined) key.used = true;
    return key;
  }

  byId(id: string): StoreKey | undefined {
    return this.#byId.get(id);
  }

  /** The key of `bytes`, remembered (found by `text` too, when given and no other string finds it). */
  add(bytes: Buffer, text?: string): StoreKey {
    const id = bytes.toString('latin1');
    let key = this.#byId.get(id);
    if (key) key.used = true;
    else {
      if (this.#byId.size >= this.#capacity) this.#evict();
      key = new StoreKey(bytes, id);
      this.#byId.set(id, key);
    }
    if (text !== undefined && key.text === undefined) {
      key.text = text;
      this.#byText.set(text, key);
    }
    return key;
  }

  /**
   * Lets go of an eighth of the keys. A used key goes to the back without its flag: a map visits
   * keys set during the visit, so a pass over keys that were all used comes back to them and
   * lets go of the oldest (it stops after two passes' worth, one eighth let go or not).
   */
  #evict(): void {
    this.evictedAt = cacheClock.tick;
    let n = Math.max(1, Math.floor(this.#capacity / 8));
    let visits = 2 * this.#byId.size;
    for (const [id, key] of this.#byId) {
      if (n <= 0 || visits-- <= 0) break;
      this.#byId.delete(id);
      if (key.used) {
        key.used = false;
        this.#byId.set(id, key);
        continue;
      }
      if (key.text !== undefined) this.#byText.delete(key.text);
      n -= 1;
    }
  }
}

/** A write of a record, waiting for the chunk's changelog. */
export interface Pending {
  readonly key: Buffer;
  readonly bytes: Buffer | null;
  /** The value as the store's view uses it (decoded; bytes for a window store; undefined after delete), so reads in the same chunk skip the serde. */
  readonly value: unknown;
  /**
   * Of an accepted write only: a buffer of the chunk no accepted write holds any more (the key's
   * value before this write, when the chunk made it), which the key's next write may reuse.
   */
  readonly spare?: Buffer | undefined;
  /**
   * DataViews of `bytes` and of `spare`, made once and kept with them: a window store reads its
   * value through one at every record, and making it was a tenth of the store's update.
   */
  view?: DataView | undefined;
  readonly spareView?: DataView | undefined;
  /** Whether `bytes` are a ring this chunk made, which the key's next in-place update folds into (a record that fails puts its changes back). */
  readonly inPlace?: boolean;
}

/** What a store's view reads and writes through: one record's attempt over the chunk's accepted writes, over storage. */
export interface RecordAccess {
  /** The chunk's `cacheClock` tick (see StoreKey's `pendingTick`). */
  readonly tick: number;
  /** The clock when the chunk began (epoch ms). */
  readonly now: number;
  /** Writes of this record so far: a view's remembered read stays good while this is unchanged. */
  readonly writeCount: number;
  /** The key's latest write, of this record or an accepted one of the chunk. */
  pending(open: OpenStore, key: StoreKey): Pending | undefined;
  /**
   * A new value of the key (`bytes` null: deleted); `value` as the view uses it (see Pending).
   * `reusable`: the bytes were made for this write and nothing outside the chunk holds them, so
   * once a later record of the chunk writes the key again, its next write may reuse them (Pending's `spare`).
   * `view`: a DataView of `bytes` the caller has.
   */
  write(store: string, key: StoreKey, bytes: Buffer | null, value: unknown, reusable?: boolean, view?: DataView): void;
  /** A ring (`bytes`, of `view`) the record made from the key's value and folded into: the chunk's value of the key from now on, changed in place. */
  writeInPlace(store: string, key: StoreKey, bytes: Buffer, view: DataView): void;
  /** `length` bytes of `bytes` from `at` are about to change in place: put back if the record fails. */
  saving(bytes: DataView, at: number, length: number): void;
  /** The key's committed value, decoded once and kept with the key. */
  read(open: OpenStore, key: StoreKey): Promise<unknown>;
  /** A window store's stored bytes for the key, kept with the key. */
  stored(open: OpenStore, key: StoreKey): Buffer | undefined;
  /** Counts a record a window store dropped as late. */
  dropped(store: string): void;
}
