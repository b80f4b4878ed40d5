/** One changelog entry: a store key and its new value, or null when the key was deleted. */
export interface StateEntry {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * Local storage of one store's partition. Values are the serialized bytes of the changelog, so
 * a restore copies records without decoding them.
 */
export interface PartitionStorage {
  get(key: Buffer): Buffer | undefined;
  /** Applies entries in order, atomically; resolves once readable. */
  write(entries: readonly StateEntry[]): Promise<void>;
  /** Every entry, for queries and tests. */
  entries(): Iterable<StateEntry & { value: Buffer }>;
  /**
   * The changelog offset the local data covers, as left by a clean close, or undefined when the
   * data cannot be trusted (first open, or the process died while the partition was open).
   */
  takeCheckpoint(): Promise<string | undefined>;
  /** Written on a clean close or hand-over, after every write of the partition. */
  writeCheckpoint(offset: string): Promise<void>;
  /** Drops every entry (before a full restore). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Where stores keep their partitions: memory (tests, or the changelog as the only durability) or LMDB. */
export interface StateBackend {
  readonly kind: 'memory' | 'lmdb';
  open(group: string, store: string, partition: number): Promise<PartitionStorage>;
}

/**
 * Maps in this process. A partition handed back to the same process keeps its data and
 * checkpoint; a restart restores everything from the changelog.
 */
export function memoryBackend(): StateBackend {
  const partitions = new Map<string, { data: Map<string, StateEntry & { value: Buffer }>; checkpoint?: string }>();
  return {
    kind: 'memory',
    async open(group, store, partition) {
      const id = `${group}/${store}/${partition}`;
      let state = partitions.get(id);
      if (!state) {
        state = { data: new Map() };
        partitions.set(id, state);
      }
      const held = state;
      return {
        get: (key) => held.data.get(key.toString('latin1'))?.value,
        async write(entries) {
          for (const entry of entries) {
            if (entry.value === null) held.data.delete(entry.key.toString('latin1'));
            else held.data.set(entry.key.toString('latin1'), { key: entry.key, value: entry.value });
          }
        },
        entries: () => held.data.values(),
        async takeCheckpoint() {
          const checkpoint = held.checkpoint;
          delete held.checkpoint;
          return checkpoint;
        },
        async writeCheckpoint(offset) {
          held.checkpoint = offset;
        },
        async clear() {
          held.data.clear();
        },
        async close() {},
      };
    },
  };
}
