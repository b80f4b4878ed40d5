// ReplaceableProducer with fake kafkajs producers whose sends the test settles by hand: which
// producer each send reaches around a failure, and what a stop replaces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Producer, ProducerBatch } from 'kafkajs';
import { ReplaceableProducer } from '../../../src/streams/replaceable-producer.ts';

interface Fake {
  readonly sends: Array<{ ack(): void; fail(error: Error): void }>;
  connects: number;
  disconnects: number;
}

function fakes() {
  const made: Fake[] = [];
  const create = (): Producer => {
    const fake: Fake = { sends: [], connects: 0, disconnects: 0 };
    made.push(fake);
    return {
      events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
      on: () => () => undefined,
      connect: async () => void fake.connects++,
      disconnect: async () => void fake.disconnects++,
      sendBatch: (_batch: ProducerBatch) => new Promise((resolve, reject) => fake.sends.push({ ack: () => resolve([]), fail: reject })),
    } as unknown as Producer;
  };
  return { made, create };
}

const batch: ProducerBatch = { topicMessages: [{ topic: 't', messages: [{ value: 'v' }] }], acks: -1 };
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

test('a send made while the one before it fails goes to the replacement, not behind the failure on the old producer', async () => {
  const { made, create } = fakes();
  const reasons: string[] = [];
  const producer = new ReplaceableProducer(create, (reason) => reasons.push(reason));
  await producer.connect();
  const first = producer.send(batch).then(() => 'acked', (error: Error) => error.message);
  const second = producer.send(batch).then(() => 'acked', (error: Error) => error.message);
  await turns();
  assert.is(made[0]!.sends.length, 1, 'the second send waits for the first');
  made[0]!.sends[0]!.fail(new Error('connection lost'));
  assert.is(await first, 'connection lost', 'the first send fails');
  await turns();
  assert.is(made.length, 2, 'the producer was replaced');
  assert.equal(reasons, ['send_failed']);
  assert.is(made[0]!.sends.length, 1, 'nothing more reached the old producer');
  assert.is(made[1]!.connects, 1, 'the replacement connected');
  assert.is(made[1]!.sends.length, 1, 'the second send reached the replacement');
  made[1]!.sends[0]!.ack();
  assert.is(await second, 'acked');
  await turns();
  assert.is(made[0]!.disconnects, 1, 'the old producer is disconnected');
  await producer.disconnect();
});

test('sends that succeed keep the producer', async () => {
  const { made, create } = fakes();
  const producer = new ReplaceableProducer(create);
  await producer.connect();
  for (let i = 0; i < 3; i++) {
    const sent = producer.send(batch);
    await turns();
    made[0]!.sends[i]!.ack();
    await sent;
  }
  assert.is(made.length, 1, 'one producer for every send');
  await producer.disconnect();
});

test('disconnect waits up to settleMs for a send still retrying, and a send its stop gives up replaces nothing', async () => {
  const { made, create } = fakes();
  const reasons: string[] = [];
  const producer = new ReplaceableProducer(create, (reason) => reasons.push(reason));
  await producer.connect();
  const sent = producer.send(batch).catch((error: Error) => error.message);
  await turns();
  let stopped = false;
  const stopping = producer.disconnect(5_000).then(() => (stopped = true));
  await turns();
  assert.not.ok(stopped, 'the stop waits for the send');
  made[0]!.sends[0]!.fail(new Error('The producer disconnected while the send was retrying'));
  await stopping;
  assert.is(await sent, 'The producer disconnected while the send was retrying');
  assert.is(made.length, 1, 'no replacement made while stopping');
  assert.equal(reasons, []);
  assert.is(made[0]!.disconnects, 1, 'the producer is disconnected');
});

test.run();
