import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kafka, Message, Producer, ProducerBatch } from 'kafkajs';
import { createKafkaRawSink, SinkUnavailableError } from '../../../src/ingress/index.ts';

/** A producer whose sendBatch calls the test settles by hand. */
interface FakeProducer {
  readonly calls: Array<{ records: number; topics: string[]; ack(): void; fail(error: Error): void }>;
}

function fakeKafka() {
  const producers: FakeProducer[] = [];
  const kafka: Pick<Kafka, 'producer'> = {
    producer: () => {
      const fake: FakeProducer = { calls: [] };
      producers.push(fake);
      const producer = {
        events: { CONNECT: 'connect', DISCONNECT: 'disconnect' },
        on: () => () => {},
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: (batch: ProducerBatch) =>
          new Promise((resolve, reject) => {
            const topicMessages = batch.topicMessages ?? [];
            fake.calls.push({
              records: topicMessages.reduce((sum, t) => sum + t.messages.length, 0),
              topics: topicMessages.map((t) => t.topic),
              ack: () => resolve([]),
              fail: reject,
            });
          }),
      };
      return producer as unknown as Producer;
    },
  };
  return { kafka, producers };
}

const message = (n: number): Message => ({ key: null, value: Buffer.from(`record ${n}`) });
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records how each send ended: 'acked', or the SinkUnavailableError kind. */
function outcome(promise: Promise<void>) {
  const result: { value?: string } = {};
  promise.then(
    () => (result.value = 'acked'),
    (error: unknown) => (result.value = error instanceof SinkUnavailableError ? error.kind : `unexpected ${String(error)}`),
  );
  return result;
}

const test = suite('ingress raw sink (pool of idempotent producers, fake Kafka)');

test('requests read together share one batch; the next batch goes to a free producer while the first waits for its ack', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 2 });
  await sink.connect();
  const first = [0, 1, 2].map((n) => outcome(sink.send('raw.whoop', message(n))));
  await turn();
  assert.is(producers[0]!.calls.length, 1, 'one produce request for the three');
  assert.is(producers[0]!.calls[0]!.records, 3, 'carrying all three records');
  const second = [3, 4].map((n) => outcome(sink.send('raw.oura', message(n))));
  await turn();
  assert.is(producers[1]!.calls.length, 1, 'the second producer took the next batch');
  assert.equal(producers[1]!.calls[0]!.topics, ['raw.oura'], 'to its topic');
  producers[1]!.calls[0]!.ack();
  await turn();
  assert.equal(second.map((o) => o.value), ['acked', 'acked'], 'second batch acked');
  assert.equal(first.map((o) => o.value), [undefined, undefined, undefined], 'first batch still waits: no answer before its ack');
  producers[0]!.calls[0]!.ack();
  await turn();
  assert.equal(first.map((o) => o.value), ['acked', 'acked', 'acked'], 'first batch acked after its ack');
  await sink.disconnect();
});

test('while every producer is busy, requests queue and leave as one batch when a producer returns', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, maxBatch: 4 });
  await sink.connect();
  const first = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  const queued = Array.from({ length: 6 }, (_, n) => outcome(sink.send('raw.whoop', message(n + 1))));
  await turn();
  assert.is(producers[0]!.calls.length, 1, 'nothing else sent while the only producer waits');
  producers[0]!.calls[0]!.ack();
  await turn();
  assert.is(first.value, 'acked', 'first acked');
  assert.is(producers[0]!.calls.length, 2, 'the queue left as soon as the producer returned');
  assert.is(producers[0]!.calls[1]!.records, 4, 'capped at maxBatch');
  producers[0]!.calls[1]!.ack();
  await turn();
  assert.is(producers[0]!.calls[2]?.records, 2, 'the rest in the next batch');
  producers[0]!.calls[2]!.ack();
  await turn();
  assert.ok(queued.every((o) => o.value === 'acked'), 'all queued requests acked');
  await sink.disconnect();
});

test('a failed batch rejects each of its requests, none half-accepted; repeated failures open the breaker', async () => {
  const { kafka, producers } = fakeKafka();
  const errors: string[] = [];
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, breakerFailures: 2, halfOpenAfterMs: 60_000, onError: (kind) => errors.push(kind) });
  await sink.connect();
  for (let round = 0; round < 2; round++) {
    const batch = [0, 1].map((n) => outcome(sink.send('raw.whoop', message(n))));
    await turn();
    producers[0]!.calls.at(-1)!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await turn();
    assert.equal(batch.map((o) => o.value), ['send_failed', 'send_failed'], `round ${round}: every request of the batch refused`);
  }
  assert.not.ok(sink.ready(), 'not ready once the breaker is open');
  const refused = outcome(sink.send('raw.whoop', message(9)));
  await turn();
  await turn();
  assert.is(refused.value, 'breaker_open', 'the open breaker refuses without calling Kafka');
  assert.is(producers[0]!.calls.length, 2, 'no third produce request');
  assert.equal(errors, ['send_failed', 'send_failed', 'breaker_open'], 'one error event per batch');
});

test('a request gets 503 by its deadline, whether its batch hangs or it waits in the queue behind it', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 200, producers: 1 });
  await sink.connect();
  const started = Date.now();
  const inBatch = outcome(sink.send('raw.whoop', message(0)));
  await sleep(50);
  const queued = outcome(sink.send('raw.whoop', message(1)));
  await sleep(220);
  assert.is(inBatch.value, 'timeout', 'the request in the hanging batch timed out');
  assert.ok(Date.now() - started < 400, 'within its deadline plus a sweep');
  await sleep(100);
  assert.is(queued.value, 'timeout', 'the queued request timed out by its own deadline');
  producers[0]!.calls[0]!.ack();
  await turn();
  assert.is(inBatch.value, 'timeout', 'a late ack does not turn a 503 into a 202');
  await sink.disconnect();
});

test('disconnect waits for the batch in flight', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 2 });
  await sink.connect();
  const pending = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  let disconnected = false;
  const closing = sink.disconnect().then(() => (disconnected = true));
  await sleep(20);
  assert.not.ok(disconnected, 'still waiting for the ack');
  producers[0]!.calls[0]!.ack();
  await closing;
  assert.is(pending.value, 'acked', 'the in-flight request was acked before the producers closed');
});

test.run();
