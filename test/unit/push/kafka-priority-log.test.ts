import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Partitioners, type Admin, type Kafka, type KafkaMessage } from 'kafkajs';
import { decodeCursor, encodeCursor } from '../../../src/push/cursor.ts';
import { kafkaPriorityLog } from '../../../src/push/kafka-priority-log.ts';
import type { RoutedRecord } from '../../../src/push/record.ts';
import { priorityTopic } from '../../../src/topics.ts';

const high = priorityTopic('high');

type Listener = (event: { payload: Record<string, unknown> }) => void;
type EachMessage = (payload: { topic: string; partition: number; message: KafkaMessage }) => Promise<void>;

interface Broker {
  readonly kafka: Pick<Kafka, 'consumer'>;
  readonly admin: Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets'>;
  /** Consumers created, for what they were asked to do. */
  readonly consumers: Array<{ paused: Set<string>; sought: string[]; pausedAtFirstFetch?: string[]; disconnected: boolean }>;
}

/**
 * A broker holding the high topic with `partitions` partitions, each ending at `end`. A replay
 * consumer joins (assigned every partition), then gets `serve` to fetch with: what it does is the
 * broker's answer.
 */
function fakeBroker(partitions: number, end: number, serve: (eachMessage: EachMessage, emit: (event: string, payload: Record<string, unknown>) => void) => void): Broker {
  const events = { GROUP_JOIN: 'group-join', END_BATCH_PROCESS: 'end-batch' };
  const consumers: Broker['consumers'] = [];
  const consumer = () => {
    const listeners = new Map<string, Listener>();
    const state: Broker['consumers'][number] = { paused: new Set(), sought: [], disconnected: false };
    consumers.push(state);
    const emit = (event: string, payload: Record<string, unknown>) => listeners.get(event)?.({ payload });
    return {
      events,
      on: (event: string, listener: Listener) => listeners.set(event, listener),
      connect: async () => undefined,
      subscribe: async () => undefined,
      pause: (topics: Array<{ topic: string; partitions: number[] }>) => topics.forEach(({ topic, partitions: ps }) => ps.forEach((p) => state.paused.add(`${topic}/${p}`))),
      seek: ({ topic, partition, offset }: { topic: string; partition: number; offset: string }) => state.sought.push(`${topic}/${partition}@${offset}`),
      disconnect: async () => void (state.disconnected = true),
      async run({ eachMessage }: { eachMessage: EachMessage }) {
        emit(events.GROUP_JOIN, { memberAssignment: { [high]: Array.from({ length: partitions }, (_, p) => p) } });
        setTimeout(() => {
          state.pausedAtFirstFetch = [...state.paused].sort();
          serve(eachMessage, emit);
        }, 10);
      },
    };
  };
  const admin = {
    fetchTopicMetadata: async () => ({ topics: [{ name: high, partitions: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId })) }] }),
    fetchTopicOffsets: async () => Array.from({ length: partitions }, (_, partition) => ({ partition, offset: String(end), high: String(end), low: '0' })),
  };
  return { kafka: { consumer } as unknown as Pick<Kafka, 'consumer'>, admin: admin as unknown as Broker['admin'], consumers };
}

/** The partition route's producer writes a key to (kafkajs's default, Java-compatible murmur2). */
function producerPartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: high, partitionMetadata, message: { key, value: null } });
}

const decode = async (topic: string, partition: number, message: KafkaMessage) => ({ topic, partition, offset: BigInt(message.offset), userId: message.key?.toString() }) as RoutedRecord;
const message = (offset: number, key = 'user-1'): KafkaMessage => ({ offset: String(offset), key: Buffer.from(key), value: null, timestamp: '0', attributes: 0, headers: {} });

test('a replay ends at a commit marker that closes the partition, not at the replay timeout', async () => {
  // As exactly-once route leaves a partition: a data record at 7, its commit marker at 8 (the
  // end is 9). eachMessage sees 7, the batch ends at 8, and no later fetch returns anything.
  const { kafka, admin } = fakeBroker(1, 9, async (eachMessage, emit) => {
    await eachMessage({ topic: high, partition: 0, message: message(7) });
    emit('end-batch', { topic: high, partition: 0, batchSize: 1, firstOffset: '7', lastOffset: '8' });
  });
  const log = kafkaPriorityLog({ kafka, admin, decode, groupPrefix: 'test' });
  const delivered: bigint[] = [];
  const started = Date.now();
  await log.replay('user-1', decodeCursor('h0-6'), (record) => delivered.push(record.offset), AbortSignal.timeout(2_000));
  assert.equal(delivered, [7n], 'expected the data record delivered');
  assert.ok(Date.now() - started < 1_000, 'expected the replay to end at the marker');
});

test('a replay fetches only the user\'s partition: every other partition is paused at the join, before the first fetch', async () => {
  const partitions = 6;
  const own = producerPartition('user-1', partitions);
  const broker = fakeBroker(partitions, 9, async (eachMessage, emit) => {
    await eachMessage({ topic: high, partition: own, message: message(8) });
    emit('end-batch', { topic: high, partition: own, batchSize: 1, firstOffset: '8', lastOffset: '8' });
  });
  const log = kafkaPriorityLog({ kafka: broker.kafka, admin: broker.admin, decode, groupPrefix: 'test' });
  await log.replay('user-1', new Map([[high, { partition: own, offset: 5n }]]), () => undefined, AbortSignal.timeout(2_000));
  const [consumer] = broker.consumers;
  const others = Array.from({ length: partitions }, (_, p) => p).filter((p) => p !== own).map((p) => `${high}/${p}`).sort();
  assert.equal(consumer?.pausedAtFirstFetch, others, 'expected every partition but the user\'s paused before the first fetch');
  assert.equal(consumer?.sought, [`${high}/${own}@6`], 'expected only the user\'s partition sought, to just after the cursor');
});

test('a cursor position on a partition that is not the user\'s is not read', async () => {
  const broker = fakeBroker(6, 9, () => assert.unreachable('expected no fetch'));
  const log = kafkaPriorityLog({ kafka: broker.kafka, admin: broker.admin, decode, groupPrefix: 'test' });
  const other = (producerPartition('user-1', 6) + 1) % 6;
  await log.replay('user-1', decodeCursor(encodeCursor(new Map([[high, { partition: other, offset: 0n }]]))), () => undefined, AbortSignal.timeout(2_000));
  assert.is(broker.consumers.length, 0, 'expected no consumer for another partition');
});

test('a user\'s partitions are the ones the producers write their key to', async () => {
  const broker = fakeBroker(12, 9, () => undefined);
  const log = kafkaPriorityLog({ kafka: broker.kafka, admin: broker.admin, decode, groupPrefix: 'test' });
  for (const user of ['user-1', 'user-2', 'a-much-longer-user-id-0123456789']) {
    assert.is((await log.partitions(user)).get(high), producerPartition(user, 12), `expected ${user}'s partition where the producer puts it`);
  }
});

test('a replay whose client has gone stops at once and leaves its group', async () => {
  const broker = fakeBroker(1, 9, () => undefined); // the broker never answers
  const log = kafkaPriorityLog({ kafka: broker.kafka, admin: broker.admin, decode, groupPrefix: 'test' });
  const gone = new AbortController();
  setTimeout(() => gone.abort(new Error('client gone')), 50);
  const started = Date.now();
  const outcome = await log.replay('user-1', decodeCursor('h0-1'), () => undefined, gone.signal).then(
    () => 'finished',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  assert.is(outcome, 'client gone', 'expected the replay to end with the abort');
  assert.ok(Date.now() - started < 1_000, `expected it to end at the abort, took ${Date.now() - started} ms`);
  assert.ok(broker.consumers[0]?.disconnected, 'expected the replay consumer disconnected');
});

test.run();
