/** One changelog entry: a store key and its new value, or null when the key was deleted. */
export interface StateEntry {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** The key as a latin1 string, when the writer has it already (a chunk's writes are held by it): storage keyed by strings need not make it again. */
  readonly id?: string;
}

/** The entry's key as a latin1 string, the id storage in memory keys it by. */
export function entryId(entry: StateEntry): string {
  return entry.id ?? entry.key.toString('latin1');
}

/**
 * Local storage of one store's partition. Values are the serialized bytes of the changelog, so
 * a restore copies records without decoding them.
 */
export interface PartitionStorage {
  get(key: Buffer): Buffer | undefined;
  /**
   * Applies entries in order, atomically. `checkpoint`, when given, is a changelog offset at or
   * below the first record holding these entries: stored with them, so a restore from it replays
   * nothing the data lacks.
   */
  write(entries: readonly StateEntry[], checkpoint?: string): Promise<void>;
  /** Every entry, for queries and tests. */
  entries(): Iterable<StateEntry & { value: Buffer }>;
  /**
   * Up to `limit` keys, going on from where the last call stopped, so calls in turn pass over
   * every key (the store's retention sweep): fewer than `limit` when the pass reached the last
   * key, and the next call starts over. Keys written meanwhile come in this pass or the next.
   */
  keysInTurn(limit: number): Buffer[];
  /**
   * The changelog offset a restore starts from: the data holds every change of the changelog
   * below it. Undefined when nothing was checkpointed (a fresh store: restore everything).
   */
  checkpoint(): string | undefined;
  /** Drops every entry and the checkpoint (before a full restore). */
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
      let turn: Iterator<StateEntry & { value: Buffer }> | undefined;
      return {
        get: (key) => held.data.get(key.toString('latin1'))?.value,
        async write(entries, checkpoint) {
          for (const entry of entries) {
            if (entry.value === null) held.data.delete(entryId(entry));
            else held.data.set(entryId(entry), { key: entry.key, value: entry.value });
          }
          if (checkpoint !== undefined) held.checkpoint = checkpoint;
        },
        entries: () => held.data.values(),
        keysInTurn(limit) {
          const keys: Buffer[] = [];
          // A Map's iterator goes on over entries set after it began and skips deleted ones.
          turn ??= held.data.values();
          while (keys.length < limit) {
            const next = turn.next();
            if (next.done) {
              turn = undefined;
              break;
            }
            keys.push(next.value.key);
          }
          return keys;
        },
        checkpoint: () => held.checkpoint,
        async clear() {
          held.data.clear();
          delete held.checkpoint;
        },
        async close() {},
      };
    },
  };
}
