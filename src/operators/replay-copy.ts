import type { IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import { keepReceivedAt } from './received-at.ts';
import { createPacer } from './pacer.ts';
import { readRange } from './read-range.ts';
import type { ReplayPlan } from './replay-plan.ts';

export const replayedFromHeader = 'replayed-from';

export interface CopyOptions {
  toTopic: string;
  /** Records per second; 0 = unlimited. */
  rate?: number;
  onProgress?: (count: number) => void;
}

export interface CopyResult {
  copied: number;
  /** Source partition → target partition, as chosen; shown so an operator sees where order is kept. */
  partitionMap: 'same-partition' | 'by-key';
}

/** Keeps a record's key, value and headers, and says where it came from. */
export function replayMessage(topic: string, partition: number, message: KafkaMessage): Message {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers[replayedFromHeader] = `${topic}/${partition}/${message.offset}`;
  keepReceivedAt(headers, message);
  return { key: message.key, value: message.value, headers };
}

/**
 * Copies a planned range into another topic. Records are written one source batch at a time and
 * each send is awaited, so order per source partition is kept. When both topics have the same
 * partition count a record keeps its partition number (so keyless raw records stay in order
 * too); otherwise the partitioner places it by key, which keeps order per key.
 */
export async function copyRange(kafka: Kafka, plan: ReplayPlan, options: CopyOptions): Promise<CopyResult> {
  const admin = kafka.admin();
  await admin.connect();
  const [source, target] = await Promise.all([
    admin.fetchTopicOffsets(plan.topic),
    admin.fetchTopicOffsets(options.toTopic),
  ]).finally(() => admin.disconnect());
  const samePartitions = source.length === target.length;

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const pacer = createPacer(options.rate ?? 0);
  let copied = 0;
  await producer.connect();
  try {
    await readRange(kafka, plan.topic, plan.ranges, async (partition, messages, handled) => {
      for (let i = 0; i < messages.length; i += 500) {
        const chunk = messages.slice(i, i + 500);
        await pacer.take(chunk.length);
        await producer.send({
          topic: options.toTopic,
          acks: -1,
          messages: chunk.map((m) => ({
            ...replayMessage(plan.topic, partition, m),
            ...(samePartitions ? { partition } : {}),
          })),
        });
        copied += chunk.length;
        handled(chunk.at(-1)!.offset);
        options.onProgress?.(chunk.length);
      }
    });
  } finally {
    await producer.disconnect();
  }
  return { copied, partitionMap: samePartitions ? 'same-partition' : 'by-key' };
}
