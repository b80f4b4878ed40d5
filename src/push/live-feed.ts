import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { fetchMaxWaitMs } from '../streams/index.ts';
import type { PriorityRecordDecoder, SkipReason } from './priority-records.ts';
import { priorityTopics } from './priority-records.ts';
import type { RoutedRecord } from './record.ts';

export interface LiveFeedOptions {
  readonly kafka: Kafka;
  readonly decode: PriorityRecordDecoder;
  /** Prefix of this process's own group; a suffix makes it unique per process. */
  readonly groupPrefix: string;
  publish(record: RoutedRecord): void;
  onSkipped(reason: SkipReason): void;
  /** The feed stopped for good: kafkajs does not restart it after this crash. */
  onCrashed?(error: string): void;
}

export interface LiveFeed {
  isJoined(): boolean;
  stop(): Promise<void>;
}

/**
 * Reads every partition of the priority topics from their end, in a group of this process alone:
 * every process sees every user, so a client may connect to any of them. A new process starts at
 * the end (clients resume from their own cursors); offsets are committed only so that the consumer
 * restarting inside this process (after a crash of its fetch loop) goes on where it was instead
 * of skipping to the end under connected clients.
 */
export async function startLiveFeed(options: LiveFeedOptions): Promise<LiveFeed> {
  const groupId = `${options.groupPrefix}-${hostname()}-${randomUUID().slice(0, 8)}`;
  const consumer = options.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: fetchMaxWaitMs});
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  // Not ready until it joins again (kafkajs restarts it after most crashes); a crash it does not
  // restart leaves the feed dead, and clients would wait on a process that sends them nothing.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    if (!payload.restart) options.onCrashed?.(payload.error.name);
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
  });
  try {
    await start(consumer, options);
  } catch (error) {
    await consumer.disconnect(); // a start-up that waits for Kafka tries again with a new feed
    throw error;
  }
  return { isJoined: () => joined, stop: () => consumer.disconnect() };
}

async function start(consumer: Consumer, options: LiveFeedOptions): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topics: [...priorityTopics], fromBeginning: false });
  await consumer.run({
    partitionsConsumedConcurrently: priorityTopics.length * 4,
    eachMessage: async ({ topic, partition, message }) => {
      const record = await options.decode(topic, partition, message);
      if (typeof record === 'string') options.onSkipped(record);
      else options.publish(record);
    },
  });
}
