import { entryId, type PartitionStorage, type StateEntry } from './backend.ts';

/** How often local storage takes the writes held in memory. */
export interface WriteBehindOptions {
  /** A write flushes what is held once this long has passed since the last flush. */
  readonly intervalMs: number;
  /** A write flushes what is held once it holds this many keys. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

/**
 * Ten seconds: at a live rate a user's events are seconds apart (a wearable's sync brings a
 * night's records together), and each interval writes each user held once. One partition of
 * enrich at 333 events/s spent 2.04 µs of CPU per event on LMDB at one second, 0.57 at five,
 * 0.47 at ten (`BENCH_STATE_PARTS=flush npm run bench:state`); a kill replays at most the
 * interval's changelog.
 */
export const defaultWriteBehind: WriteBehindOptions = { intervalMs: 10_000, maxEntries: 20_000 };

/** Entries of one write that go straight to storage when nothing is held. */
const writeThroughEntries = 1_000;

/**
 * Local storage that takes writes in memory and passes them to `storage` in one transaction per
 * interval (or when it holds `maxEntries` keys), each key's latest value once, with the latest
 * checkpoint. A stage with state wrote every chunk's changes to LMDB in a transaction of its own
 * (a user's whole value, every retained window, about a microsecond of CPU per put); a key in
 * chunk after chunk is now written once per interval.
 *
 * Nothing is lost when the process dies between flushes: the changelog holds every change, and
 * the checkpoint in storage only ever moves with the data it covers, so the next start restores
 * from the last flushed checkpoint and replays the rest (as Kafka Streams restores from the
 * checkpoint it writes at each commit). Reads see the held writes first.
 */
export function writeBehind(storage: PartitionStorage, options: WriteBehindOptions = defaultWriteBehind): PartitionStorage {
  const now = options.now ?? Date.now;
  /** latin1 of the key → its latest entry. */
  let held = new Map<string, StateEntry>();
  let heldCheckpoint: string | undefined;
  let lastFlush = now();

  const flush = async (): Promise<void> => {
    const taken = held;
    const takenCheckpoint = heldCheckpoint;
    if (taken.size === 0 && takenCheckpoint === undefined) return;
    held = new Map();
    heldCheckpoint = undefined;
    try {
      await storage.write([...taken.values()], takenCheckpoint);
      lastFlush = now();
    } catch (error) {
      // Held again, so reads stay right and the next flush tries again; a key written meanwhile keeps its newer value.
      for (const [id, entry] of taken) if (!held.has(id)) held.set(id, entry);
      heldCheckpoint ??= takenCheckpoint;
      throw error;
    }
  };

  return {
    get(key) {
      const entry = held.size > 0 ? held.get(key.toString('latin1')) : undefined;
      if (entry) return entry.value ?? undefined;
      return storage.get(key);
    },
    async write(entries, checkpoint) {
      // A batch this large (a restore's) is its own transaction's worth: holding it only costs.
      if (held.size === 0 && entries.length >= writeThroughEntries) {
        await storage.write(entries, checkpoint);
        lastFlush = now();
        return;
      }
      for (const entry of entries) held.set(entryId(entry), entry);
      if (checkpoint !== undefined) heldCheckpoint = checkpoint;
      if (held.size >= options.maxEntries || now() - lastFlush >= options.intervalMs) await flush();
    },
    *entries() {
      for (const entry of storage.entries()) if (!held.has(entry.key.toString('latin1'))) yield entry;
      for (const entry of held.values()) if (entry.value !== null) yield { key: entry.key, value: entry.value };
    },
    // Storage's keys alone: the held ones were written within the interval, and their next pass comes after the flush.
    keysInTurn: (limit) => storage.keysInTurn(limit),
    // What storage holds: a restore starts there, and the held writes are only in memory.
    checkpoint: () => storage.checkpoint(),
    async clear() {
      held = new Map();
      heldCheckpoint = undefined;
      await storage.clear();
    },
    async close() {
      try {
        await flush();
      } finally {
        await storage.close();
      }
    },
  };
}
