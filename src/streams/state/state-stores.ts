import { performance } from 'node:perf_hooks';
import type { Logger } from '../../obs/logger.ts';
import type { StreamEvents } from '../events.ts';
import type { StateBackend } from './backend.ts';
import type { ChangelogReader, PartitionBounds } from './changelog-reader.ts';
import { ChunkState, markerKey } from './chunk-state.ts';
import { markedEnds } from './marked-ends.ts';
import { MarkedRestore } from './marked-restore.ts';
import { openStore, type OpenStore } from './open-store.ts';
import type { StateStoreSpec } from './spec.ts';

interface PartitionStores {
  readonly opened: Promise<Map<string, OpenStore>>;
  /** Set once `opened` resolved: the partition's stores, restored. */
  restored?: Map<string, OpenStore>;
}

interface QueuedOpen {
  readonly partition: number;
  readonly resolve: (stores: Map<string, OpenStore>) => void;
  readonly reject: (error: unknown) => void;
}

export interface StateStoresOptions {
  readonly topology: string;
  readonly groupId: string;
  readonly specs: readonly StateStoreSpec[];
  readonly backend: StateBackend;
  /** Keys each store partition's key cache holds (defaultCacheKeys). */
  readonly cacheKeys?: number;
  /** Absent in the test driver: stores start empty and live as long as the driver. */
  readonly changelog?: ChangelogReader;
  /** Offsets a restore reads before it finds where its changelog's last marker lies (`unmarkedRestoreWindow`). */
  readonly unmarkedRestoreWindow?: number;
  readonly events: StreamEvents;
  readonly log: Logger;
}

/** The restore of one batch of partitions: ended when one of them leaves (`left`). */
interface BatchRestore {
  readonly abort: AbortController;
  readonly left: Set<number>;
}

/** Why a partition's restore ended: the partition left this instance (release). */
class PartitionLeft extends Error {
  constructor(partition: number) {
    super(`state store partition ${partition} left this instance while restoring`);
  }
}

/**
 * The state stores of one topology instance, per input partition (partition n of every source
 * topic writes partition n of every changelog). A partition is opened and restored before its
 * first record runs, from the checkpoint its local storage keeps with every chunk, and closed
 * when it leaves this instance (its checkpoint stays that of the last chunk applied here).
 */
export class StateStores {
  readonly #options: StateStoresOptions;
  readonly #partitions = new Map<number, PartitionStores>();
  /** Partitions asked for in this turn of the event loop, opened and restored together. */
  #queued: QueuedOpen[] = [];
  #restoring = 0;
  /** Aborted once the stage stops: see stopRestoring. */
  readonly #stopping = new AbortController();
  /** The restore under way of each partition being opened: aborted when one of its partitions leaves (release). */
  readonly #restores = new Map<number, BatchRestore>();

  constructor(options: StateStoresOptions) {
    this.#options = options;
  }

  get specs(): readonly StateStoreSpec[] {
    return this.#options.specs;
  }

  /** True while any partition is being restored (the process is not ready then). */
  isRestoring(): boolean {
    return this.#restoring > 0;
  }

  /** Opens and restores the partitions newly assigned, closes the ones that left. */
  async assign(partitions: readonly number[]): Promise<void> {
    const keep = new Set(partitions);
    await Promise.all([...this.#partitions.keys()].filter((p) => !keep.has(p)).map((p) => this.release(p)));
    // A partition that left again meanwhile (a later assignment) is no failure of this one.
    await Promise.all(
      partitions.map((p) =>
        this.ready(p).catch((error: unknown) => {
          if (!(error instanceof PartitionLeft)) throw error;
        }),
      ),
    );
  }

  /** Resolves once the partition's stores are restored; opens them if nobody did yet. */
  async ready(partition: number): Promise<Map<string, OpenStore>> {
    let stores = this.#partitions.get(partition);
    if (!stores) {
      const opening: PartitionStores = { opened: this.#open(partition) };
      this.#partitions.set(partition, opening);
      opening.opened.then(
        (restored) => {
          opening.restored = restored;
        },
        () => this.#partitions.delete(partition),
      );
      stores = opening;
    }
    return stores.opened;
  }

  /** The stores of a partition for one chunk begun at `now` (the runner's clock). */
  async begin(partition: number, now: number): Promise<ChunkState> {
    return new ChunkState(partition, await this.ready(partition), now);
  }

  /**
   * The input offset (of `topic`) up to which every store's changelog holds the effects, from
   * the markers written with each chunk; undefined when a store has none yet.
   */
  async covered(partition: number, topic: string): Promise<bigint | undefined> {
    const stores = await this.ready(partition);
    let covered: bigint | undefined;
    for (const { storage } of stores.values()) {
      const marker = storage.get(markerKey(topic));
      if (marker === undefined) return undefined;
      const offset = BigInt(marker.toString('utf8'));
      covered = covered === undefined || offset < covered ? offset : covered;
    }
    return covered;
  }

  /** The store's key as bytes (what partitioning and the changelog use). */
  async keyBytes(store: string, key: unknown): Promise<Buffer> {
    const spec = this.#spec(store);
    const bytes = await spec.key.serialize(key, spec.changelogTopic);
    if (!bytes) throw new Error(`store "${store}" has no null keys`);
    return bytes;
  }

  /** The committed value of a key in a partition open here (restored first), or undefined. */
  async lookup(store: string, partition: number, key: Buffer): Promise<unknown> {
    return this.#committed(await this.ready(partition), store, key);
  }

  /**
   * The committed value of a key when its partition is open and restored here; `restored: false`
   * while it is not (being restored, or not assigned here yet). Never opens it: a query must not
   * start a restore of its own, nor wait for one.
   */
  async lookupRestored(store: string, partition: number, key: Buffer): Promise<{ readonly restored: false } | { readonly restored: true; readonly value: unknown }> {
    const restored = this.#partitions.get(partition)?.restored;
    if (restored === undefined) return { restored: false };
    return { restored: true, value: await this.#committed(restored, store, key) };
  }

  async #committed(stores: Map<string, OpenStore>, store: string, key: Buffer): Promise<unknown> {
    const spec = this.#spec(store);
    const value = stores.get(store)?.storage.get(key);
    // Decoded from a copy: a window store's chunks fold into a key's ring before last, and decoding awaits between windows.
    return value === undefined ? undefined : spec.value.deserialize(Buffer.from(value), spec.changelogTopic);
  }

  #spec(store: string): StateStoreSpec {
    const spec = this.#options.specs.find((s) => s.name === store);
    if (!spec) throw new Error(`no state store named "${store}"`);
    return spec;
  }

  /**
   * Closes a partition's stores with a checkpoint after this instance's own last changelog write
   * (kept as it is when it wrote none), so a restart here restores nothing it holds. Not the
   * changelog's end: by the time a partition is let go of, another member may already have
   * written to it (this one was dropped from the group after a pause, or still restoring when the
   * next rebalance moved the partition), and a checkpoint past those writes would have them
   * skipped when the partition comes back.
   */
  async release(partition: number): Promise<void> {
    const stores = this.#partitions.get(partition);
    if (!stores) return;
    this.#partitions.delete(partition);
    // A restore of a partition that left has no reader any more: it ends rather than reading the
    // rest of the changelog into storage about to close (the partitions restored with it start
    // again from their checkpoints).
    const restoring = this.#restores.get(partition);
    if (restoring) {
      restoring.left.add(partition);
      restoring.abort.abort(new PartitionLeft(partition));
    }
    const opened = await stores.opened.catch(() => undefined);
    for (const { storage, ownChangelogEnd } of opened?.values() ?? []) {
      if (ownChangelogEnd !== undefined) await storage.write([], ownChangelogEnd);
      await storage.close();
    }
  }

  /**
   * Applies a chunk whose changelog is durable to local storage. If storage fails to take it,
   * the partition's stores are forgotten (see #reset) and the error rethrown.
   */
  async apply(chunk: ChunkState, markers: ReadonlyArray<{ topic: string; nextOffset: string }>, changelogOffsets?: ReadonlyMap<string, string>): Promise<void> {
    try {
      await chunk.apply(markers, changelogOffsets);
    } catch (error) {
      await this.#reset(chunk.partition);
      throw error;
    }
  }

  /** Reports what a committed chunk counted: records dropped as late, keys expired and keys read from local storage, per store. */
  report(chunk: ChunkState): void {
    const { events, topology } = this.#options;
    const { partition } = chunk;
    for (const [store, count] of chunk.lateCounts()) events.emit('late-dropped', { topology, store, partition, count });
    for (const [store, count] of chunk.expiredCounts()) events.emit('state-expired', { topology, store, partition, count });
    for (const [store, count] of chunk.storageReads()) events.emit('state-storage-reads', { topology, store, partition, count });
  }

  /**
   * Forgets a partition's stores after local storage failed to take a chunk the changelog already
   * holds: the stores' cached values and their storage no longer agree with the changelog (a
   * write-behind flush that failed keeps the chunk's entries held, LMDB does not have them), and
   * the stage went on from the cache, a chunk behind. The partition's next chunk opens them again
   * and restores from the last checkpoint that reached storage.
   */
  async #reset(partition: number): Promise<void> {
    const stores = this.#partitions.get(partition);
    if (!stores) return;
    this.#partitions.delete(partition);
    const opened = await stores.opened.catch(() => undefined);
    // Closing flushes what is held: all of it is in the changelog, so either outcome agrees with it.
    for (const { storage } of opened?.values() ?? []) await storage.close().catch(() => undefined);
  }

  /**
   * Ends the restores under way and refuses any more: the stage is stopping. A restore reads the
   * whole changelog tail, minutes of it for a large one, and a stop that waited for it outlasted
   * an orchestrator's grace period and was killed. What a stopped restore applied stays in local
   * storage with the checkpoint after its last input-offset marker, so the next start goes on from
   * there; its partitions' `ready` rejects.
   */
  stopRestoring(): void {
    this.#stopping.abort();
  }

  async close(): Promise<void> {
    this.stopRestoring();
    await Promise.all([...this.#partitions.keys()].map((p) => this.release(p)));
    await this.#options.changelog?.close();
  }

  /**
   * Opens a partition's stores. The partitions of one assignment arrive in the same turn and are
   * restored together: one changelog reader for all of them, not one each (each reader joins a
   * consumer group of its own; six at once took enrich 2.0–2.5 s to restore under the fault soak).
   */
  #open(partition: number): Promise<Map<string, OpenStore>> {
    this.#restoring += 1;
    return new Promise((resolve, reject) => {
      this.#queued.push({ partition, resolve, reject });
      if (this.#queued.length === 1) setImmediate(() => void this.#openQueued());
    });
  }

  async #openQueued(): Promise<void> {
    const batch = this.#queued;
    this.#queued = [];
    const { backend, cacheKeys, groupId, specs } = this.#options;
    const opened = new Map<number, Map<string, OpenStore>>();
    const restore: BatchRestore = { abort: new AbortController(), left: new Set() };
    for (const { partition } of batch) this.#restores.set(partition, restore);
    const signal = AbortSignal.any([this.#stopping.signal, restore.abort.signal]);
    try {
      signal.throwIfAborted();
      for (const { partition } of batch) {
        const stores = new Map<string, OpenStore>();
        opened.set(partition, stores);
        for (const spec of specs) stores.set(spec.name, openStore(spec, await backend.open(groupId, spec.name, partition), cacheKeys));
      }
      for (const spec of specs) await this.#restore(spec, new Map([...opened].map(([partition, stores]) => [partition, stores.get(spec.name)!])), signal, restore.left);
      for (const { partition, resolve } of batch) resolve(opened.get(partition)!);
    } catch (error) {
      // Each partition opens again when it is next asked for (a stopped restore: at the next
      // start): close what this attempt opened, keeping what it restored so far (the checkpoint
      // is written only with the data it covers).
      for (const stores of opened.values()) for (const { storage } of stores.values()) await storage.close().catch(() => undefined);
      // A partition of the batch left: the others, still here, open again at once, from their checkpoints.
      // (Not one that left: it may be assigned again already, and opening anew on its own.)
      const again = restore.left.size > 0 && !this.#stopping.signal.aborted;
      for (const { partition, resolve, reject } of batch) {
        if (again && !restore.left.has(partition)) this.#open(partition).then(resolve, reject);
        else reject(error);
      }
    } finally {
      this.#restoring -= batch.length;
      for (const { partition } of batch) if (this.#restores.get(partition) === restore) this.#restores.delete(partition);
    }
  }

  async #restore(spec: StateStoreSpec, opens: ReadonlyMap<number, OpenStore>, signal: AbortSignal, left: ReadonlySet<number>): Promise<void> {
    const { changelog, events, log, topology } = this.#options;
    if (!changelog) return;
    const storages = new Map([...opens].map(([partition, open]) => [partition, open.storage]));
    const from = new Map<number, string | undefined>();
    const progress = new Map<number, { restored: number; total: number }>();
    const bounds = await changelog.offsets(spec.changelogTopic);
    for (const [partition, storage] of storages) {
      const offsets = bounds.get(partition);
      if (!offsets) throw new Error(`changelog ${spec.changelogTopic} has no partition ${partition}; it needs as many partitions as the input`);
      const checkpoint = await this.#usableCheckpoint(spec, partition, storage, offsets);
      from.set(partition, checkpoint);
      const total = Math.max(0, Number(BigInt(offsets.high) - BigInt(checkpoint ?? offsets.low)));
      progress.set(partition, { restored: 0, total });
      events.emit('restoring', { topology, store: spec.name, partition, restored: 0, total });
      log.info({ store: spec.name, partition, fromCheckpoint: checkpoint !== undefined, records: total }, 'restoring state store');
    }
    const began = performance.now();
    let marked = new Map<number, MarkedRestore>();
    try {
      const ends = await markedEnds(changelog, spec.changelogTopic, from, bounds, signal, this.#options.unmarkedRestoreWindow);
      marked = new Map([...storages].map(([partition, storage]) => [partition, new MarkedRestore(storage, ends.get(partition))]));
      await changelog.restore(
        spec.changelogTopic,
        from,
        async (partition, entries, nextOffset) => {
          await marked.get(partition)!.add(entries, nextOffset);
          const done = progress.get(partition)!;
          done.restored += entries.length;
          events.emit('restoring', { topology, store: spec.name, partition, restored: done.restored, total: done.total });
        },
        { bounds, signal },
      );
      for (const restore of marked.values()) await restore.finish();
    } catch (error) {
      if (signal.aborted) {
        const stopping = this.#stopping.signal.aborted;
        for (const [partition, { restored, total }] of progress) {
          // Entries after the last marker read are not in storage: the next start reads them again.
          const kept = restored - (marked.get(partition)?.leftOut ?? 0);
          if (stopping) log.info({ store: spec.name, partition, restored: kept, records: total }, 'state store restore stopped: the stage is stopping; the next start restores the rest');
          else if (left.has(partition)) log.info({ store: spec.name, partition, restored: kept, records: total }, 'state store restore ended: the partition left this instance');
        }
      }
      throw error;
    }
    const seconds = (performance.now() - began) / 1_000;
    for (const [partition, restore] of marked) {
      if (restore.leftOut === 0) continue;
      log.warn({ store: spec.name, partition, entries: restore.leftOut }, 'changelog ends inside a chunk whose input-offset marker never came (the instance stopped between its changelog requests); its entries are left out and the chunk runs again');
      const unsealed = restore.leftOutKeys();
      if (unsealed.size > 0) opens.get(partition)!.unsealed = unsealed;
    }
    for (const [partition, { restored }] of progress) {
      events.emit('restored', { topology, store: spec.name, partition, restored, seconds });
      log.info({ store: spec.name, partition, restored, seconds: Number(seconds.toFixed(3)) }, 'state store restored');
    }
  }

  /**
   * The local checkpoint when the changelog still holds everything after it; otherwise the data
   * is cleared for a full restore: a checkpoint past the end means the changelog was recreated,
   * one below its start that records after it are gone.
   */
  async #usableCheckpoint(spec: StateStoreSpec, partition: number, storage: OpenStore['storage'], { low, high }: PartitionBounds): Promise<string | undefined> {
    const checkpoint = storage.checkpoint();
    if (checkpoint !== undefined) {
      if (BigInt(checkpoint) >= BigInt(low) && BigInt(checkpoint) <= BigInt(high)) return checkpoint;
      this.#options.log.warn({ store: spec.name, partition, checkpoint, low, high }, 'state store checkpoint outside its changelog; restoring all of it');
    }
    await storage.clear();
    return undefined;
  }
}
