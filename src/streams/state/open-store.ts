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

  constructor(bytes: Buffer, id: string) {
    this.bytes = bytes;
    this.id = id;
  }
}

export function openStore(spec: StateStoreSpec, storage: PartitionStorage): OpenStore {
  const { windows, aggregate } = spec;
  const windowed = windows && aggregate ? { windows, aggregate, value: spec.value as Serde<Windowed<unknown>>, topic: spec.changelogTopic } : undefined;
  return { spec, storage, keys: new KeyCache(), ...(windowed ? { windowed } : {}) };
}

/** Keys a store's cache holds at most, per partition. */
export const cacheCapacity = 20_000;

/**
 * Recent keys of a store partition, found by the step's string key or by id, each with its
 * committed value, so a user's record finds its key's bytes and value in one lookup: the key and
 * the value were two maps, and at a live rate a user's entries are cold in both (`bench:state`'s
 * live part). A key is found by at most one string. Full, it lets go of the oldest eighth.
 */
export class KeyCache {
  readonly #byText = new Map<string, StoreKey>();
  readonly #byId = new Map<string, StoreKey>();
  readonly #capacity: number;

  constructor(capacity = cacheCapacity) {
    this.#capacity = capacity;
  }

  byText(text: string): StoreKey | undefined {
    return this.#byText.get(text);
  }

  byId(id: string): StoreKey | undefined {
    return this.#byId.get(id);
  }

  /** The key of `bytes`, remembered (found by `text` too, when given and no other string finds it). */
  add(bytes: Buffer, text?: string): StoreKey {
    const id = bytes.toString('latin1');
    let key = this.#byId.get(id);
    if (!key) {
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

  #evict(): void {
    let n = Math.max(1, Math.floor(this.#capacity / 8));
    for (const [id, key] of this.#byId) {
      if (n-- <= 0) break;
      this.#byId.delete(id);
      if (key.text !== undefined) this.#byText.delete(key.text);
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
}

/** What a store's view reads and writes through: one record's attempt over the chunk's accepted writes, over storage. */
export interface RecordAccess {
  /** Writes of this record so far: a view's remembered read stays good while this is unchanged. */
  readonly writeCount: number;
  /** The key's latest write, of this record or an accepted one of the chunk. */
  pending(store: string, id: string): Pending | undefined;
  /**
   * A new value of the key (`bytes` null: deleted); `value` as the view uses it (see Pending).
   * `reusable`: the bytes were made for this write and nothing outside the chunk holds them, so
   * once a later record of the chunk writes the key again, its next write may reuse them (Pending's `spare`).
   * `view`: a DataView of `bytes` the caller has.
   */
  write(store: string, id: string, key: Buffer, bytes: Buffer | null, value: unknown, reusable?: boolean, view?: DataView): void;
  /** The key's committed value, decoded once and kept with the key. */
  read(open: OpenStore, key: StoreKey): Promise<unknown>;
  /** A window store's stored bytes for the key, kept with the key. */
  stored(open: OpenStore, key: StoreKey): Buffer | undefined;
  /** Counts a record a window store dropped as late. */
  dropped(store: string): void;
}
