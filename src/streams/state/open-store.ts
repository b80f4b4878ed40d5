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
}

export function openStore(spec: StateStoreSpec, storage: PartitionStorage): OpenStore {
  const { windows, aggregate } = spec;
  const windowed = windows && aggregate ? { windows, aggregate, value: spec.value as Serde<Windowed<unknown>>, topic: spec.changelogTopic } : undefined;
  return { spec, storage, decoded: new DecodedCache(), ...(windowed ? { windowed } : {}) };
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

/** A write of a record, waiting for the chunk's changelog. */
export interface Pending {
  readonly key: Buffer;
  readonly bytes: Buffer | null;
  /** The value as the store's view uses it (decoded; bytes for a window store; undefined after delete), so reads in the same chunk skip the serde. */
  readonly value: unknown;
}

/** What a store's view reads and writes through: one record's attempt over the chunk's accepted writes, over storage. */
export interface RecordAccess {
  /** The key's latest write, of this record or an accepted one of the chunk. */
  pending(store: string, id: string): Pending | undefined;
  write(store: string, id: string, pending: Pending): void;
  /** A value from local storage, decoded once and kept in the store's cache. */
  read(open: OpenStore, key: Buffer, id: string): Promise<unknown>;
  /** A window store's stored bytes, kept in the store's cache. */
  stored(open: OpenStore, key: Buffer, id: string): Buffer | undefined;
  /** Counts a record a window store dropped as late. */
  dropped(store: string): void;
}
