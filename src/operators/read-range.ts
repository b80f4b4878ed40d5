import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** Offsets `[start, end)` of one partition; offsets are decimal strings as kafkajs gives them. */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

/**
 * Handles a batch's records. `handled(offset)` says the records up to `offset` are done (sent),
 * as a batch is done once the handler resolves.
 */
export type BatchHandler = (partition: number, messages: KafkaMessage[], handled: (offset: string) => void) => Promise<void>;

export function rangeSize(range: PartitionRange): number {
  const size = BigInt(range.end) - BigInt(range.start);
  return size > 0n ? Number(size) : 0;
}

/**
 * Reads exactly the given offset ranges of one topic, batch by batch and in order per partition,
 * then returns. It joins a throw-away group that never commits, so reading leaves no trace and
 * never moves a stage's offsets; Kafka drops such an empty group by itself. A batch whose handler
 * fails comes again (kafkajs retries it, from the last offset it resolved); records already
 * handled are left out of it, so a retried batch does not send them twice.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  onBatch: BatchHandler,
): Promise<void> {
  const pending = new Map(ranges.filter((r) => rangeSize(r) > 0).map((r) => [r.partition, r]));
  if (pending.size === 0) return;
  /** Partition → the last offset handled: a retried batch leaves those records out. */
  const handledThrough = new Map<number, bigint>();

  const consumer = kafka.consumer({
    groupId: `bridge.operator.${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 250,
  });
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });

  // END_BATCH_PROCESS also fires for batches that held only transaction markers, which eachBatch
  // never sees: without it a range ending in a commit marker would never complete.
  const removeListener = consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const range = pending.get(payload.partition);
    if (payload.topic !== topic || range === undefined) return;
    if (BigInt(payload.lastOffset) + 1n >= BigInt(range.end)) {
      pending.delete(payload.partition);
      consumer.pause([{ topic, partitions: [payload.partition] }]);
      if (pending.size === 0) finish();
    }
  });
  const removeCrashListener = consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        if (range === undefined) return;
        const start = BigInt(range.start);
        const end = BigInt(range.end);
        const from = handledThrough.get(batch.partition) ?? start - 1n;
        const inRange = batch.messages.filter((m) => BigInt(m.offset) > from && BigInt(m.offset) >= start && BigInt(m.offset) < end);
        if (inRange.length === 0) return;
        const handled = (offset: string) => {
          const at = BigInt(offset);
          if (at > (handledThrough.get(batch.partition) ?? -1n)) handledThrough.set(batch.partition, at);
        };
        await onBatch(batch.partition, inRange, handled);
        handled(inRange.at(-1)!.offset);
      },
    });
    for (const range of pending.values()) consumer.seek({ topic, partition: range.partition, offset: range.start });
    await finished;
  } finally {
    removeListener();
    removeCrashListener();
    await consumer.disconnect();
  }
}
