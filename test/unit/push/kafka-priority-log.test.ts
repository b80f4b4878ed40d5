import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { decodeCursor } from '../../../src/push/cursor.ts';
import { kafkaPriorityLog } from '../../../src/push/kafka-priority-log.ts';
import type { RoutedRecord } from '../../../src/push/record.ts';
import { priorityTopic } from '../../../src/topics.ts';

const high = priorityTopic('high');

/**
 * A broker as exactly-once route leaves a partition: a data record at 7, its commit marker at 8
 * (the end is 9). One fetch returns both; eachMessage sees 7, the batch ends at 8, and no later
 * fetch returns anything (as a broker answers a fetch from the end).
 */
function transactionalPartition(): { kafka: Kafka; admin: Admin } {
  const listeners = new Map<string, (event: { payload: Record<string, unknown> }) => void>();
  const events = { GROUP_JOIN: 'group-join', END_BATCH_PROCESS: 'end-batch' };
  const consumer = {
    events,
    on: (event: string, listener: (event: { payload: Record<string, unknown> }) => void) => listeners.set(event, listener),
    connect: async () => undefined,
    subscribe: async () => undefined,
    seek: () => undefined,
    disconnect: async () => undefined,
    async run({ eachMessage }: { eachMessage: (payload: { topic: string; partition: number; message: KafkaMessage }) => Promise<void> }) {
      listeners.get(events.GROUP_JOIN)?.({ payload: {} });
      setTimeout(async () => {
        await eachMessage({ topic: high, partition: 0, message: { offset: '7', key: Buffer.from('user-1'), value: null, timestamp: '0', attributes: 0, headers: {} } });
        listeners.get(events.END_BATCH_PROCESS)?.({ payload: { topic: high, partition: 0, batchSize: 1, firstOffset: '7', lastOffset: '8' } });
      }, 10);
    },
  };
  const admin = {
    fetchTopicMetadata: async () => ({ topics: [{ name: high, partitions: [{ partitionId: 0 }] }] }),
    fetchTopicOffsets: async () => [{ partition: 0, offset: '9', high: '9', low: '0' }],
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, admin: admin as unknown as Admin };
}

test('a replay ends at a commit marker that closes the partition, not at the replay timeout', async () => {
  const { kafka, admin } = transactionalPartition();
  const decode = async (topic: string, partition: number, message: KafkaMessage) => ({ topic, partition, offset: BigInt(message.offset), userId: 'user-1' }) as RoutedRecord;
  const log = kafkaPriorityLog({ kafka, admin, decode, groupPrefix: 'test', replayTimeoutMs: 2_000 });
  const delivered: bigint[] = [];
  const started = Date.now();
  await log.replay('user-1', decodeCursor('h0-6'), (record) => delivered.push(record.offset), new AbortController().signal);
  assert.equal(delivered, [7n], 'expected the data record delivered');
  assert.ok(Date.now() - started < 1_000, 'expected the replay to end at the marker');
});

test.run();
