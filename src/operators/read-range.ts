import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** Offsets `[start, end)` of one partition; offsets are decimal strings as kafkajs gives them. */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

export type BatchHandler = (partition: number, messages: KafkaMessage[]) => Promise<void>;

export function rangeSize(range: PartitionRange): number {
  const size = BigInt(range.end) - BigInt(range.start);
  return size > 0n ? Number(size) : 0;
}

/**
 * Reads exactly the given offset ranges of one topic, batch by batch and in order per partition,
 * then returns. It joins a throw-away group that never commits, so reading leaves no trace and
 * never moves a stage's offsets; Kafka drops such an empty group by itself.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  onBatch: BatchHandler,
): Promise<void> {
  const pending = new Map(ranges.filter((r) => rangeSize(r) > 0).map((r) => [r.partition, r]));
  if (pending.size === 0) return;

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
        const inRange = batch.messages.filter((m) => BigInt(m.offset) >= start && BigInt(m.offset) < end);
        if (inRange.length > 0) await onBatch(batch.partition, inRange);
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
