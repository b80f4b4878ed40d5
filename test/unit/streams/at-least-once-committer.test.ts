// The at-least-once committer with a fake client: its producer after the broker lost its
// idempotence state (the first producer fails as a restarted broker answers it; the ingress's raw
// sink has its own replacement, tested in test/unit/ingress/raw-sink.test.ts), where a
// partition resumes after a rejoin, and a chunk larger than one request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kafka } from 'kafkajs';
import { atLeastOnceCommitter, type Chunk } from '../../../src/streams/committers.ts';
import { testCommitterOptions } from '../../support/committer-options.ts';

/** A client whose n-th producer fails its first send with `failures[n]` (a broker error type). */
function fakeKafka(failures: ReadonlyArray<string | undefined>) {
  const producers: Array<{ sent: number; disconnected: boolean }> = [];
  const kafka = {
    producer: () => {
      const index = producers.length;
      const seen = { sent: 0, disconnected: false };
      producers.push(seen);
      let failed = false;
      return {
        events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
        on: () => () => undefined,
        connect: async () => {},
        disconnect: async () => void (seen.disconnected = true),
        sendBatch: async ({ topicMessages }: { topicMessages: Array<{ messages: unknown[] }> }) => {
          const type = failures[index];
          if (type !== undefined && !failed) {
            failed = true;
            throw Object.assign(new Error(`broker answered ${type}`), { type, retriable: false });
          }
          seen.sent += topicMessages.reduce((n, t) => n + t.messages.length, 0);
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

/** A client whose producer holds each request until released, recording what each carried. */
function heldKafka() {
  const requests: Array<Array<[string, number]>> = [];
  const releases: Array<(error?: Error) => void> = [];
  const kafka = {
    producer: () => ({
      events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
      on: () => () => undefined,
      connect: async () => {},
      disconnect: async () => {},
      sendBatch: ({ topicMessages }: { topicMessages: Array<{ topic: string; messages: unknown[] }> }) =>
        new Promise((resolve, reject) => {
          requests.push(topicMessages.map((t): [string, number] => [t.topic, t.messages.length]));
          const n = requests.length;
          releases.push((error) => (error ? reject(error) : resolve([{ topicName: `request-${n}`, partition: 0, errorCode: 0 }])));
        }),
    }),
  } as unknown as Kafka;
  return { kafka, requests, releases };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function committer(kafka: Kafka, lingerMs?: number) {
  return atLeastOnceCommitter(testCommitterOptions(kafka, { commitIntervalMs: 0, topology: 'pass', groupId: 'bridge.pass', instanceId: 'i', transactionalProducers: 1, ...(lingerMs === undefined ? {} : { lingerMs }) }));
}

const chunk = (records: number, options: { partition?: number; nextOffset?: number; commitConsumerOffsets?: Chunk['commitConsumerOffsets'] } = {}): Chunk => ({
  topic: 'in',
  partition: options.partition ?? 0,
  nextOffset: String(options.nextOffset ?? records),
  outputs: Array.from({ length: records }, (_, i) => ({ topic: 'out', key: Buffer.from(`k${i}`), value: Buffer.from('v'), headers: {}, timestamp: 0, node: 'out' })),
  commitConsumerOffsets: options.commitConsumerOffsets ?? (async () => {}),
});

test('OUT_OF_ORDER_SEQUENCE_NUMBER: the chunk goes again with a new producer, and the old one is dropped', async () => {
  const { kafka, producers } = fakeKafka(['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  const c = committer(kafka);
  await c.connect();
  await c.commit(chunk(3));
  assert.is(producers.length, 2, 'a second producer replaces the first');
  assert.equal(producers.map((p) => p.sent), [0, 3], 'the new producer sent the chunk');
  assert.ok(producers[0]!.disconnected, 'the old producer is disconnected');
  await c.commit(chunk(2));
  assert.equal(producers.map((p) => p.sent), [0, 5], 'later chunks go through the new producer');
  await c.close();
});

test('another failed send fails the commit, and the next commit goes through a new producer', async () => {
  // The failed request may have been written, its sequence numbers given back: the same producer's
  // next records would be acknowledged as duplicates of it without being written.
  const { kafka, producers } = fakeKafka(['NOT_ENOUGH_REPLICAS']);
  const c = committer(kafka);
  await c.connect();
  try {
    await c.commit(chunk(1));
    assert.unreachable('expected the commit to fail');
  } catch (error) {
    assert.instance(error, Error);
    assert.match((error as Error).message, 'NOT_ENOUGH_REPLICAS');
  }
  await tick();
  assert.is(producers.length, 2, 'the producer was replaced');
  await c.commit(chunk(1));
  assert.equal(producers.map((p) => p.sent), [0, 1], 'the chunk sent again went through the new producer');
  assert.ok(producers[0]!.disconnected, 'the old producer is disconnected');
  await c.close();
});

test('a partition resumes after its acknowledged chunks, also when their offset commit was refused, until it is assigned elsewhere', async () => {
  const { kafka } = fakeKafka([]);
  const c = committer(kafka);
  await c.connect();
  const p0 = { topic: 'in', partition: 0 };
  const p1 = { topic: 'in', partition: 1 };
  assert.is(await c.resumeFrom(p0), undefined, 'nothing written yet: the consumer’s position holds');

  await c.commit(chunk(3, { nextOffset: 10 }));
  const coordinatorAway = async () => {
    throw Object.assign(new Error('The coordinator is loading and hence can’t process requests'), { type: 'COORDINATOR_LOAD_IN_PROGRESS' });
  };
  // The outputs were acknowledged; only the offset commit failed (the broker restarting).
  await c.commit(chunk(2, { nextOffset: 12, commitConsumerOffsets: coordinatorAway })).catch(() => undefined);
  await c.commit(chunk(2, { partition: 1, nextOffset: 5 }));
  assert.is(await c.resumeFrom(p0), 12n, 'the rejoined consumer skips what this instance already wrote');
  assert.is(await c.resumeFrom(p1), 5n);

  await c.assigned([p0]);
  assert.is(await c.resumeFrom(p0), 12n, 'kept for a partition the rejoin gave back');
  assert.is(await c.resumeFrom(p1), undefined, 'forgotten once another member owns the partition');
  await c.close();
});

test('a chunk whose outputs were not acknowledged does not move where its partition resumes', async () => {
  const c = committer(fakeKafka(['UNKNOWN_SERVER_ERROR']).kafka);
  await c.connect();
  const sent = await c.commit(chunk(3, { nextOffset: 10 })).then(() => 'sent', (error: Error) => error.message);
  assert.match(sent, /UNKNOWN_SERVER_ERROR/, 'expected the send to fail');
  assert.is(await c.resumeFrom({ topic: 'in', partition: 0 }), undefined, 'nothing acknowledged, nothing skipped');
  await c.close();
});

/** Five outputs of 300 KB: four pass what one request carries (mergedRequestMaxBytes). */
const largeChunk = (commitConsumerOffsets: Chunk['commitConsumerOffsets']): Chunk => ({
  topic: 'in',
  partition: 0,
  nextOffset: '5',
  outputs: ['out', 'out', 'out', 'other', 'other'].map((topic) => ({ topic, key: null, value: Buffer.alloc(300_000), headers: {}, timestamp: 0, node: topic })),
  commitConsumerOffsets,
});

test('a chunk larger than a request carries goes in runs under the limit, in order, each after the one before is acknowledged', async () => {
  const { kafka, requests, releases } = heldKafka();
  const c = committer(kafka, 0); // no linger: a run is requested as soon as it is queued
  await c.connect();
  let committed = 0;
  const commit = c.commit(largeChunk(async () => void (committed += 1)));
  await tick();
  assert.equal(requests, [[['out', 3]]], 'the first run only, until it is acknowledged');
  releases[0]!();
  await tick();
  assert.equal(requests[1], [['other', 2]], 'then the next run');
  assert.is(committed, 0, 'no offset before the last run is acknowledged');
  releases[1]!();
  await commit;
  assert.is(committed, 1, 'the offset once every run is');
  await c.close();
});

test('a failed run of a large chunk fails its commit: no later run is sent and no offset committed', async () => {
  const { kafka, requests, releases } = heldKafka();
  const c = committer(kafka, 0); // no linger: a run is requested as soon as it is queued
  await c.connect();
  let committed = 0;
  const commit = c.commit(largeChunk(async () => void (committed += 1))).then(() => undefined, (error: unknown) => error);
  await tick();
  releases[0]!(Object.assign(new Error('NOT_ENOUGH_REPLICAS'), { type: 'NOT_ENOUGH_REPLICAS', retriable: false }));
  assert.instance(await commit, Error);
  await tick();
  assert.is(requests.length, 1, 'the run after the failed one never went out');
  assert.is(committed, 0);
  assert.is(await c.resumeFrom({ topic: 'in', partition: 0 }), undefined, 'nothing skipped on resume');
  await c.close();
});

test.run();
