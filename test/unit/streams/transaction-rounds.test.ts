// The exactly-once committer's rounds: one transactional producer per process, and chunks ready
// together (different partitions) share one transaction when their fetches were of the same
// group generation. A fake client records what each transaction carried; the broker side of
// KIP-447 is tested against the real broker in `kafka-txn-offset-generation`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConsumerGroupMetadata, Kafka } from 'kafkajs';
import { exactlyOnceCommitter, type Chunk } from '../../../src/streams/committers.ts';
import { StreamEvents } from '../../../src/streams/index.ts';
import { testCommitterOptions } from '../../support/committer-options.ts';

interface Recorded {
  producer: string;
  records: number;
  offsets: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  group: ConsumerGroupMetadata | undefined;
  outcome: 'committed' | 'aborted';
}

/** The partitions one committed-offset read asked for. */
type OffsetRead = Array<{ topic: string; partitions: number[] }>;

/** A client whose transactions and committed-offset reads are recorded; `failCommit(n)` makes the n-th commit call fail. */
function fakeKafka(committedOffset: () => string) {
  const transactions: Recorded[] = [];
  const producerIds: string[] = [];
  const offsetReads: OffsetRead[] = [];
  const failing = new Set<number>();
  let commits = 0;
  let gate: Promise<void> = Promise.resolve();
  const kafka = {
    producer: (config: { transactionalId?: string }) => {
      producerIds.push(config.transactionalId ?? '');
      return {
        connect: async () => {},
        disconnect: async () => {},
        transaction: async () => {
          const recorded: Recorded = { producer: config.transactionalId ?? '', records: 0, offsets: [], group: undefined, outcome: 'aborted' };
          return {
            sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: unknown[] }> }) => {
              recorded.records += topicMessages.reduce((n, t) => n + t.messages.length, 0);
              return [];
            },
            sendOffsets: async ({ topics, consumerGroupMetadata }: { topics: Recorded['offsets']; consumerGroupMetadata?: ConsumerGroupMetadata }) => {
              recorded.offsets = topics;
              recorded.group = consumerGroupMetadata;
            },
            commit: async () => {
              const call = ++commits;
              await gate;
              transactions.push(recorded);
              if (failing.has(call)) {
                throw Object.assign(new Error('The producer attempted to use a producer id which is not currently assigned'), { type: 'INVALID_PRODUCER_ID_MAPPING' });
              }
              recorded.outcome = 'committed';
            },
            abort: async () => {
              if (recorded.records > 0 || recorded.offsets.length > 0) recorded.outcome = 'aborted';
            },
          };
        },
      };
    },
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchOffsets: async ({ topics }: { topics: OffsetRead }) => {
        offsetReads.push(topics);
        return topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((partition) => ({ partition, offset: committedOffset() })) }));
      },
    }),
  } as unknown as Kafka;
  return {
    kafka,
    transactions,
    producerIds,
    offsetReads,
    failCommit: (call: number) => failing.add(call),
    /** Holds every commit until the returned function is called. */
    hold: () => {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
  };
}

const generation = (generationId: number): ConsumerGroupMetadata => ({ generationId, memberId: `member-${generationId}`, groupInstanceId: null });
const chunk = (partition: number, nextOffset: string, group?: ConsumerGroupMetadata): Chunk => ({
  topic: 'in',
  partition,
  nextOffset,
  outputs: [{ topic: 'out', key: null, value: Buffer.from(`p${partition}`), headers: {}, timestamp: 0, node: 'out' }],
  ...(group ? { groupMetadata: group } : {}),
  commitConsumerOffsets: async () => {},
});

function committer(kafka: Kafka, events = new StreamEvents(), transactionalProducers = 1) {
  // No linger: these rounds are formed by what queues while a transaction commits.
  return exactlyOnceCommitter(testCommitterOptions(kafka, { events, transactionalProducers, lingerMs: 0 }));
}

test('one transactional producer per process, its id from the group and the instance', async () => {
  const fake = fakeKafka(() => '-1');
  const eos = committer(fake.kafka);
  await eos.connect();
  await eos.commit(chunk(0, '10', generation(1)));
  await eos.commit(chunk(1, '20', generation(1)));
  assert.equal(fake.producerIds, ['bridge-bridge.test-pod-a-0']);
  await eos.close();
});

test('chunks ready while a transaction commits share the next one, offsets and group metadata included', async () => {
  const fake = fakeKafka(() => '-1');
  const eos = committer(fake.kafka);
  await eos.connect();
  const release = fake.hold();
  const first = eos.commit(chunk(0, '10', generation(3)));
  await new Promise((resolve) => setImmediate(resolve));
  const together = [eos.commit(chunk(1, '20', generation(3))), eos.commit(chunk(2, '30', generation(3)))];
  release();
  await Promise.all([first, ...together]);
  const committed = fake.transactions.filter((t) => t.records > 0);
  assert.is(committed.length, 2, 'the first chunk alone, then the two that queued meanwhile together');
  assert.is(committed[1]!.records, 2);
  assert.equal(committed[1]!.offsets, [{ topic: 'in', partitions: [{ partition: 1, offset: '20' }, { partition: 2, offset: '30' }] }]);
  assert.equal(committed[1]!.group, generation(3));
  await eos.close();
});

test('chunks of different generations never share a transaction', async () => {
  const fake = fakeKafka(() => '-1');
  const eos = committer(fake.kafka);
  await eos.connect();
  const release = fake.hold();
  const first = eos.commit(chunk(0, '10', generation(4)));
  await new Promise((resolve) => setImmediate(resolve));
  const later = [eos.commit(chunk(1, '20', generation(4))), eos.commit(chunk(2, '30', generation(5))), eos.commit(chunk(0, '40', generation(4)))];
  release();
  await Promise.all([first, ...later]);
  const groups = fake.transactions.filter((t) => t.records > 0).map((t) => [t.group?.generationId, t.offsets.flatMap((o) => o.partitions.map((p) => `${p.partition}@${p.offset}`))]);
  assert.equal(groups, [
    [4, ['0@10']],
    [4, ['1@20', '0@40']],
    [5, ['2@30']],
  ]);
  await eos.close();
});

test('a failed transaction fails every chunk in it, and each resumes from the committed offset read after', async () => {
  const fake = fakeKafka(() => '10');
  const events = new StreamEvents();
  const aborted: number[] = [];
  events.on('transaction-aborted', (e) => aborted.push(e.partition));
  const eos = committer(fake.kafka, events);
  await eos.connect();
  await eos.assigned([{ topic: 'in', partition: 0 }, { topic: 'in', partition: 1 }]);
  await eos.commit(chunk(0, '10', generation(6))); // commit call 1
  const release = fake.hold();
  const blocker = eos.commit(chunk(2, '5', generation(6))); // call 2, held
  await new Promise((resolve) => setImmediate(resolve));
  fake.failCommit(3);
  const round = Promise.allSettled([eos.commit(chunk(0, '25', generation(6))), eos.commit(chunk(1, '30', generation(6)))]);
  release();
  await blocker;
  const settled = await round;
  assert.equal(settled.map((s) => s.status), ['rejected', 'rejected'], 'both chunks of the failed transaction fail');
  assert.equal(aborted.sort(), [0, 1]);
  const third = fake.transactions[fake.transactions.length - 1]!;
  assert.is(third.records, 2);
  assert.is(third.outcome, 'aborted');
  // The group still has 10 for partition 0 (the failed transaction did not commit), and so does our own last commit.
  assert.is(await eos.resumeFrom({ topic: 'in', partition: 0 }), 10n);
  assert.is(await eos.resumeFrom({ topic: 'in', partition: 1 }), 10n);
  assert.equal(fake.offsetReads.at(-1), [{ topic: 'in', partitions: [0, 1] }], 'the failed round’s partitions are read, not partition 2 of the same topic');
  // The next transaction uses a new producer of the same id (the failed one is dropped).
  await eos.commit(chunk(0, '25', generation(6)));
  assert.equal(fake.producerIds, ['bridge-bridge.test-pod-a-0', 'bridge-bridge.test-pod-a-0']);
  await eos.close();
});

test('at an assignment each partition resumes once its own offset is stable: one a dead member’s transaction holds does not hold the others', async () => {
  const fake = fakeKafka(() => '10');
  let releaseHeld!: () => void;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  const admin = fake.kafka.admin();
  // The broker answers UNSTABLE_OFFSET_COMMIT for partition 1 until the transaction ends, and the
  // client asks the whole request again meanwhile: a read naming partition 1 answers only then.
  const kafka = {
    ...fake.kafka,
    producer: fake.kafka.producer.bind(fake.kafka),
    admin: () => ({
      ...admin,
      fetchOffsets: async (request: { groupId: string; topics: OffsetRead }) => {
        if (request.topics.some((t) => t.partitions.includes(1))) await held;
        return admin.fetchOffsets(request);
      },
    }),
  } as unknown as Kafka;
  const eos = committer(kafka);
  await eos.connect();
  await eos.assigned([{ topic: 'in', partition: 0 }, { topic: 'in', partition: 1 }]);
  const first = eos.resumeFrom({ topic: 'in', partition: 1 });
  let firstDone = false;
  void first.then(() => (firstDone = true));
  assert.is(await eos.resumeFrom({ topic: 'in', partition: 0 }), 10n, 'partition 0 resumes while partition 1 is held');
  assert.is(firstDone, false, 'partition 1 waits for its transaction');
  releaseHeld();
  assert.is(await first, 10n);
  await eos.close();
});

test('with several producers, chunks in flight at once commit side by side, and what queues behind them shares the next free one', async () => {
  const fake = fakeKafka(() => '-1');
  const eos = committer(fake.kafka, new StreamEvents(), 2);
  await eos.connect();
  assert.equal(fake.producerIds, ['bridge-bridge.test-pod-a-0', 'bridge-bridge.test-pod-a-1'], 'every id initialised at start, aborting a previous incarnation’s transactions');
  const release = fake.hold();
  const pending = [0, 1, 2, 3].map((partition) => eos.commit(chunk(partition, String(10 * (partition + 1)), generation(7))));
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await Promise.all(pending);
  const carried = fake.transactions.filter((t) => t.records > 0).map((t) => t.offsets.flatMap((o) => o.partitions.map((p) => p.partition)).sort());
  assert.equal(carried.slice(0, 2).sort(), [[0], [1]], 'the first two chunks, one transaction each on their own producer');
  assert.equal(carried.slice(2), [[2, 3]], 'the two that queued meanwhile, together');
  await eos.close();
});

test('with a linger, chunks finished a few ms apart share one transaction; without, each takes a free producer', async () => {
  for (const [lingerMs, expected] of [[20, [[0, 1, 2]]], [0, [[0], [1], [2]]]] as const) {
    const fake = fakeKafka(() => '-1');
    const eos = exactlyOnceCommitter(testCommitterOptions(fake.kafka, { transactionalProducers: 2, lingerMs: lingerMs }));
    await eos.connect();
    const pending: Array<Promise<void>> = [];
    for (const partition of [0, 1, 2]) {
      pending.push(eos.commit(chunk(partition, '10', generation(9))));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(pending);
    const carried = fake.transactions.filter((t) => t.records > 0).map((t) => t.offsets.flatMap((o) => o.partitions.map((p) => p.partition)).sort());
    assert.equal(carried, expected, `linger ${lingerMs} ms: transactions as expected`);
    await eos.close();
  }
});

test('each round goes to the producer free the longest, not the one whose markers are still being written', async () => {
  const fake = fakeKafka(() => '-1');
  const eos = committer(fake.kafka, new StreamEvents(), 2);
  await eos.connect();
  for (const [i, partition] of [0, 1, 2, 0].entries()) {
    await eos.commit(chunk(partition, String(10 * (i + 1)), generation(8)));
    await new Promise((resolve) => setImmediate(resolve)); // both producers free again
  }
  const producers = fake.transactions.filter((t) => t.records > 0).map((t) => t.producer.slice(-1));
  assert.equal(producers, ['0', '1', '0', '1'], 'one after another, the producers alternate');
  await eos.close();
});

test.run();
