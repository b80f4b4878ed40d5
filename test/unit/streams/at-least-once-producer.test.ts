// The at-least-once committer's producer after the broker lost its idempotence state: a fake
// client whose first producer fails as a restarted broker answers it. The ingress's raw sink has
// its own replacement, tested in test/unit/ingress/raw-sink.test.ts.
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

function committer(kafka: Kafka) {
  return atLeastOnceCommitter(testCommitterOptions(kafka, { commitIntervalMs: 0, topology: 'pass', groupId: 'bridge.pass', instanceId: 'i', transactionalProducers: 1 }));
}

const chunk = (records: number): Chunk => ({
  topic: 'in',
  partition: 0,
  nextOffset: String(records),
  outputs: Array.from({ length: records }, (_, i) => ({ topic: 'out', key: Buffer.from(`k${i}`), value: Buffer.from('v'), headers: {}, timestamp: 0, node: 'out' })),
  commitConsumerOffsets: async () => {},
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

test('an error that is not about idempotence fails the commit and keeps the producer', async () => {
  const { kafka, producers } = fakeKafka(['MESSAGE_TOO_LARGE']);
  const c = committer(kafka);
  await c.connect();
  try {
    await c.commit(chunk(1));
    assert.unreachable('expected the commit to fail');
  } catch (error) {
    assert.instance(error, Error);
    assert.match((error as Error).message, 'MESSAGE_TOO_LARGE');
  }
  assert.is(producers.length, 1, 'no replacement');
  await c.close();
});

test.run();
