import { randomUUID } from 'node:crypto';
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { fetchMaxWaitMs, keyPartition, PartitionCounts } from '../streams/index.ts';
import type { Cursor, TopicPosition, UserPartitions } from './cursor.ts';
import type { PriorityLog } from './hub.ts';
import { priorityTopics, type PriorityRecordDecoder } from './priority-records.ts';

export interface KafkaPriorityLogOptions {
  readonly kafka: Pick<Kafka, 'consumer'>;
  readonly admin: Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets'>;
  readonly decode: PriorityRecordDecoder;
  /** Prefix of the short-lived groups a replay reads through. */
  readonly groupPrefix: string;
}

export interface KafkaPriorityLog extends PriorityLog {
  /** The partition of each priority topic that holds this user's records. */
  partitions(userId: string): Promise<UserPartitions>;
}

const partitionCountTtlMs = 60_000; // one minute: topics are rarely repartitioned

/**
 * The priority topics read by position. A user's records sit in one partition per topic (route
 * keys by user id with the Java-compatible partitioner), so a replay re-reads only those.
 */
export function kafkaPriorityLog(options: KafkaPriorityLogOptions): KafkaPriorityLog {
  const counts = new PartitionCounts(async (topic) => {
    const { topics } = await options.admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`topic ${topic} has no partitions`);
    return count;
  }, partitionCountTtlMs);
  // Many clients connect at once after a deploy; they share one offsets request per topic.
  const inFlightEnds = new Map<string, Promise<Map<number, bigint>>>();

  /** The next offset to be written per partition (the high watermark). */
  const ends = (topic: string): Promise<Map<number, bigint>> => {
    const current = inFlightEnds.get(topic);
    if (current) return current;
    const request = options.admin
      .fetchTopicOffsets(topic)
      .then((offsets) => new Map(offsets.map((o) => [o.partition, BigInt(o.high)])))
      .finally(() => inFlightEnds.delete(topic));
    inFlightEnds.set(topic, request);
    return request;
  };

  const userPartition = async (topic: string, userId: string): Promise<number> => keyPartition(topic, await counts.of(topic), userId);

  return {
    async latest(userId) {
      const positions = await Promise.all(
        priorityTopics.map(async (topic): Promise<[string, TopicPosition]> => {
          const partition = await userPartition(topic, userId);
          const end = (await ends(topic)).get(partition) ?? 0n;
          return [topic, { partition, offset: end - 1n }];
        }),
      );
      return new Map(positions);
    },

    async partitions(userId) {
      return new Map(await Promise.all(priorityTopics.map(async (topic): Promise<[string, number]> => [topic, await userPartition(topic, userId)])));
    },

    async replay(userId, from, deliver, signal) {
      const targets = await replayTargets(from, userId, userPartition, ends);
      signal.throwIfAborted();
      if (targets.length === 0) return;
      const consumer = options.kafka.consumer({ groupId: `${options.groupPrefix}-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: fetchMaxWaitMs });
      const remaining = new Map(targets.map((t) => [`${t.topic}/${t.partition}`, t.end]));
      let finished!: () => void;
      let stopped!: (reason: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        finished = resolve;
        stopped = reject;
      });
      done.catch(() => undefined); // it may reject (the client gone) before it is awaited
      const stop = (): void => stopped(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      const reached = (topic: string, partition: number, offset: bigint): void => {
        const key = `${topic}/${partition}`;
        const end = remaining.get(key);
        if (end !== undefined && offset >= end - 1n) remaining.delete(key);
        if (remaining.size === 0) finished();
      };
      // A batch's last offset counts its control records too: with exactly-once route the
      // partition's last offset is a commit marker, which eachMessage never sees, and after it
      // the broker may have nothing more to return.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => reached(payload.topic, payload.partition, BigInt(payload.lastOffset)));
      // The group is this consumer's alone, so it is assigned every partition of the topics; the
      // join comes before the first fetch, and pausing the others there means only the user's
      // partitions are ever fetched, not the rest of a 7-day log from its start.
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        consumer.pause(othersThan(targets, payload.memberAssignment));
        for (const t of targets) consumer.seek({ topic: t.topic, partition: t.partition, offset: String(t.after + 1n) });
      });
      try {
        await consumer.connect();
        signal.throwIfAborted();
        // From the beginning: a position older than retention resumes at the oldest record kept.
        await consumer.subscribe({ topics: [...new Set(targets.map((t) => t.topic))], fromBeginning: true });
        signal.throwIfAborted();
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const target = targets.find((t) => t.topic === topic && t.partition === partition);
            if (target === undefined || BigInt(message.offset) <= target.after) return;
            if (message.key?.toString('utf8') === userId) {
              const record = await options.decode(topic, partition, message);
              if (typeof record !== 'string') deliver(record);
            }
            reached(topic, partition, BigInt(message.offset));
          },
        });
        await done;
      } finally {
        signal.removeEventListener('abort', stop);
        await consumer.disconnect();
      }
    },
  };
}

interface ReplayTarget {
  readonly topic: string;
  readonly partition: number;
  /** The last offset the client has. */
  readonly after: bigint;
  /** The high watermark when the replay started. */
  readonly end: bigint;
}

/**
 * The user's partitions the cursor is behind on. A position on any other partition is left out
 * (the server refuses such a cursor before it gets here): none of the user's records are there.
 */
async function replayTargets(from: Cursor, userId: string, userPartition: (topic: string, userId: string) => Promise<number>, ends: (topic: string) => Promise<Map<number, bigint>>): Promise<ReplayTarget[]> {
  const targets: ReplayTarget[] = [];
  for (const [topic, { partition, offset }] of from) {
    if (partition !== (await userPartition(topic, userId))) continue;
    const end = (await ends(topic)).get(partition);
    if (end !== undefined && offset + 1n < end) targets.push({ topic, partition, after: offset, end });
  }
  return targets;
}

/** Every assigned partition that is not a target, as `consumer.pause` takes them. */
function othersThan(targets: readonly ReplayTarget[], assigned: Readonly<Record<string, number[]>>): Parameters<Consumer['pause']>[0] {
  return Object.entries(assigned).map(([topic, partitions]) => ({
    topic,
    partitions: partitions.filter((partition) => !targets.some((t) => t.topic === topic && t.partition === partition)),
  }));
}
