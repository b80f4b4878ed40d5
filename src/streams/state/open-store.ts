import type { PartitionStorage } from './backend.ts';
import type { StateStoreSpec } from './spec.ts';
import type { Windowed } from './stores.ts';
import type { Serde } from '../serde.ts';
import type { WindowedCodec } from './windowed-bytes.ts';

/** A store of one partition, open on this instance. */
export interface OpenStore {
  readonly spec: StateStoreSpec;
  readonly storage: PartitionStorage;
  /**
   * Values of recently used keys as the store's view uses them, so a hot key is not read and
   * decoded on every record: decoded for a key-value store, the stored bytes for a window store.
   */
  readonly decoded: DecodedCache;
  /** Set for a window store: what its view needs to work on the values' bytes. */
  readonly windowed?: WindowedCodec<unknown>;
  /**
   * String keys of recent records as bytes and id: a stage with state serialized its key at
   * every record, and a user's records come again and again. Emptied when it reaches the cache's size.
   */
  readonly keys: Map<string, StoreKey>;
}

/** A store key as bytes (what the changelog and storage use) and as the id of the maps that hold writes. */
export interface StoreKey {
  readonly bytes: Buffer;
  readonly id: string;
}

export function openStore(spec: StateStoreSpec, storage: PartitionStorage): OpenStore {
  const { windows, aggregate } = spec;
  const windowed = windows && aggregate ? { windows, aggregate, value: spec.value as Serde<Windowed<unknown>>, topic: spec.changelogTopic } : undefined;
  return { spec, storage, decoded: new DecodedCache(), keys: new Map(), ...(windowed ? { windowed } : {}) };
}

/** Entries a store's caches hold at most, per partition. */
export const cacheCapacity = 20_000;

/** A bounded map of decoded values (oldest entry dropped first); `undefined` caches an absent key. */
export class DecodedCache {
  readonly #entries = new Map<string, unknown>();
  readonly #capacity: number;

  constructor(capacity = cacheCapacity) {
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
   */
  write(store: string, id: string, key: Buffer, bytes: Buffer | null, value: unknown, reusable?: boolean): void;
  /** A value from local storage, decoded once and kept in the store's cache. */
  read(open: OpenStore, key: Buffer, id: string): Promise<unknown>;
  /** A window store's stored bytes, kept in the store's cache. */
  stored(open: OpenStore, key: Buffer, id: string): Buffer | undefined;
  /** Counts a record a window store dropped as late. */
  dropped(store: string): void;
}
