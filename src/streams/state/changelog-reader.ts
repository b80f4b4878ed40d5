import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { StateEntry } from './backend.ts';
import { connectOnce } from '../connect-once.ts';
import { fetchMaxWaitMs } from '../fetch-wait.ts';

export interface PartitionBounds {
  readonly low: string;
  readonly high: string;
}

/** A changelog record as a store entry, with its offset (a restore checkpoints after the last marker it applied). */
export interface ChangelogEntry extends StateEntry {
  readonly offset: string;
}

export interface RestoreOptions {
  /** The topic's offsets as `offsets` just answered them, so they are not asked again. */
  readonly bounds?: ReadonlyMap<number, PartitionBounds>;
  /**
   * Ends the restore when aborted: the `apply` under way finishes and none follows, the reader's
   * consumer leaves, and `restore` rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** Reads changelog partitions back into local storage. */
export interface ChangelogReader {
  /**
   * Reads each partition from its offset (undefined: the beginning) up to the end it had when
   * the restore began, handing entries in offset order to `apply` with the offset after them.
   */
  restore(
    topic: string,
    from: ReadonlyMap<number, string | undefined>,
    apply: (partition: number, entries: ChangelogEntry[], nextOffset: string) => Promise<void>,
    options?: RestoreOptions,
  ): Promise<void>;
  /** Each partition's first offset and the offset after its last record, in one request. */
  offsets(topic: string): Promise<ReadonlyMap<number, PartitionBounds>>;
  close(): Promise<void>;
}

/**
 * A changelog reader on kafkajs. kafkajs has no manual assignment, so each restore subscribes a
 * consumer of a throwaway group (deleted afterwards), seeks the partitions it needs and pauses
 * the others. read_committed: aborted writes of an exactly-once stage are never restored.
 */
export function kafkaChangelogReader(kafka: Kafka, groupId: string): ChangelogReader {
  const admin = kafka.admin();
  const connect = connectOnce(() => admin.connect());

  const offsets = async (topic: string): Promise<ReadonlyMap<number, PartitionBounds>> => {
    await connect();
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: o.low, high: o.high }]));
  };

  const rangesFrom = (topic: string, from: ReadonlyMap<number, string | undefined>, all: ReadonlyMap<number, PartitionBounds>) => {
    const found = new Map<number, { start: bigint; end: bigint }>();
    for (const [partition, offset] of from) {
      const bounds = all.get(partition);
      if (!bounds) throw new Error(`changelog ${topic} has no partition ${partition}; it needs as many partitions as the input`);
      const low = BigInt(bounds.low);
      const start = offset === undefined || BigInt(offset) < low ? low : BigInt(offset);
      found.set(partition, { start, end: BigInt(bounds.high) });
    }
    return found;
  };

  return {
    offsets,
    async restore(topic, from, apply, { bounds: known, signal } = {}) {
      signal?.throwIfAborted();
      const bounds = known ?? (await offsets(topic));
      const partitions = [...bounds.keys()];
      const ranges = [...rangesFrom(topic, from, bounds)].filter(([, r]) => r.start < r.end);
      if (ranges.length === 0) return;
      const open = new Map(ranges);
      const restoreGroup = `${groupId}-restore-${randomUUID()}`;
      const consumer = kafka.consumer({ groupId: restoreGroup, readUncommitted: false, allowAutoTopicCreation: false, sessionTimeout: 30_000, maxWaitTimeInMs: fetchMaxWaitMs });
      let finish!: () => void;
      let fail!: (error: unknown) => void;
      const finished = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      // Settled by an abort or a crash before it is awaited, it must not count as unhandled.
      finished.catch(() => undefined);
      const stop = () => fail(signal!.reason);
      /** Where each partition's restore goes on from: its start, then after what was applied. */
      const progress = new Map([...ranges].map(([partition, range]) => [partition, range.start]));
      const reached = (partition: number, next: bigint) => {
        if (next > (progress.get(partition) ?? 0n)) progress.set(partition, next);
        const range = open.get(partition);
        if (range && next >= range.end) open.delete(partition);
        if (open.size === 0) finish();
      };
      const others = partitions.filter((p) => !open.has(p));
      /**
       * Positions the reader: the other partitions paused, each restoring one at its progress.
       * Again at every join: kafkajs restarts a consumer whose group coordinator was loading
       * (after a broker restart), and the restarted one starts over from the group's offsets.
       */
      const position = () => {
        try {
          if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
          for (const partition of open.keys()) consumer.seek({ topic, partition, offset: progress.get(partition)!.toString() });
        } catch {
          // The consumer is restarting; its next join positions it.
        }
      };
      consumer.on(consumer.events.GROUP_JOIN, position);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) fail(payload.error);
      });
      // A fetch of transaction markers only never reaches eachBatch; its end still counts.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic) reached(payload.partition, BigInt(payload.lastOffset) + 1n);
      });
      await consumer.connect();
      try {
        signal?.throwIfAborted();
        signal?.addEventListener('abort', stop, { once: true });
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            // Until the consumer has stopped, kafkajs may still hand over a batch it fetched.
            if (signal?.aborted) return;
            const range = open.get(batch.partition);
            if (!range) return;
            const entries: ChangelogEntry[] = [];
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < range.start || offset >= range.end || !message.key) continue;
              entries.push({ key: message.key, value: message.value, offset: message.offset });
            }
            const next = BigInt(batch.lastOffset()) + 1n;
            if (entries.length > 0) await apply(batch.partition, entries, (next < range.end ? next : range.end).toString());
            reached(batch.partition, next);
          },
        });
        position();
        await finished;
      } finally {
        signal?.removeEventListener('abort', stop);
        // Waits for the batch being applied, so nothing is applied once `restore` has settled.
        await consumer.disconnect();
        await admin.deleteGroups([restoreGroup]).catch(() => undefined);
      }
    },
    async close() {
      // kafkajs disconnects an admin that never connected as a no-op.
      await admin.disconnect();
    },
  };
}
