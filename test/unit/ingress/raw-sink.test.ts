import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs, { type Kafka, type Message, type Producer, type ProducerBatch } from 'kafkajs';
import { createKafkaRawSink, RecordTooLargeError, SinkUnavailableError } from '../../../src/ingress/index.ts';

/** A producer whose sendBatch calls the test settles by hand. */
interface FakeProducer {
  readonly calls: Array<{ records: number; topics: string[]; ack(): void; fail(error: Error): void }>;
  connects: number;
  disconnects: number;
}

/** A broker answer as kafkajs hands it to sendBatch's caller: the protocol error wrapped by its retrier. */
function brokerError(type: string, code: number): Error {
  const answer = new kafkajs.KafkaJSProtocolError(Object.assign(new Error(`broker answered ${type}`), { type, code, retriable: false }));
  // kafkajs's retrier passes `{ cause }`; its type declarations omit that parameter.
  const NonRetriable = kafkajs.KafkaJSNonRetriableError as unknown as new (e: Error, metadata: { cause: Error }) => Error;
  return new NonRetriable(answer, { cause: answer });
}

function fakeKafka() {
  const producers: FakeProducer[] = [];
  const kafka: Pick<Kafka, 'producer'> = {
    producer: () => {
      const fake: FakeProducer = { calls: [], connects: 0, disconnects: 0 };
      producers.push(fake);
      const producer = {
        events: { CONNECT: 'connect', DISCONNECT: 'disconnect' },
        on: () => () => {},
        connect: async () => void fake.connects++,
        disconnect: async () => void fake.disconnects++,
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
/** Every produce request so far, oldest first: a failed send replaces its producer, and the next requests go to the new one. */
const allCalls = (producers: readonly FakeProducer[]) => producers.flatMap((producer) => producer.calls);
const turn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records how each send ended: 'acked', or the SinkUnavailableError kind. */
function outcome(promise: Promise<void>) {
  const result: { value?: string } = {};
  promise.then(
    () => (result.value = 'acked'),
    (error: unknown) =>
      (result.value =
        error instanceof SinkUnavailableError ? error.kind : error instanceof RecordTooLargeError ? 'too_large' : `unexpected ${String(error)}`),
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

test('with a linger, a free producer waits for company; a full batch or an old enough request goes at once', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, maxBatch: 3, lingerMs: 40 });
  await sink.connect();
  const early = outcome(sink.send('raw.whoop', message(0)));
  await sleep(10);
  const later = outcome(sink.send('raw.whoop', message(1)));
  await turn();
  assert.is(producers[0]!.calls.length, 0, 'nothing sent before the oldest request lingered 40 ms');
  await sleep(45);
  assert.is(producers[0]!.calls.length, 1, 'one request once the oldest lingered');
  assert.is(producers[0]!.calls[0]!.records, 2, 'carrying both');
  producers[0]!.calls[0]!.ack();
  await turn();
  assert.equal([early.value, later.value], ['acked', 'acked']);
  const full = [2, 3, 4].map((n) => outcome(sink.send('raw.whoop', message(n))));
  await turn();
  assert.is(producers[0]!.calls.length, 2, 'a full batch does not wait');
  producers[0]!.calls[1]!.ack();
  await turn();
  assert.ok(full.every((o) => o.value === 'acked'));
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
    await turn();
    allCalls(producers).at(-1)!.fail(new Error('NOT_ENOUGH_REPLICAS'));
    await turn();
    assert.equal(batch.map((o) => o.value), ['send_failed', 'send_failed'], `round ${round}: every request of the batch refused`);
  }
  assert.not.ok(sink.ready(), 'not ready once the breaker is open');
  const refused = outcome(sink.send('raw.whoop', message(9)));
  await turn();
  await turn();
  assert.is(refused.value, 'breaker_open', 'the open breaker refuses without calling Kafka');
  assert.is(allCalls(producers).length, 2, 'no third produce request');
  assert.equal(errors, ['send_failed', 'send_failed', 'breaker_open'], 'one error event per batch');
});

test('by default an open breaker answers Retry-After 3 and lets a request probe Kafka 3 s after it opened', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, breakerFailures: 1 });
  await sink.connect();
  const failed = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  producers[0]!.calls.at(-1)!.fail(new Error('NOT_ENOUGH_REPLICAS'));
  await turn();
  assert.is(failed.value, 'send_failed');
  const refusal = await sink.send('raw.whoop', message(1)).catch((error: unknown) => error);
  assert.instance(refusal, SinkUnavailableError);
  assert.is((refusal as SinkUnavailableError).kind, 'breaker_open');
  assert.is((refusal as SinkUnavailableError).retryAfterSeconds, 3, 'Retry-After of the 3 s half-open time');
  assert.is(allCalls(producers).length, 1, 'no produce request while open');
  await new Promise((resolve) => setTimeout(resolve, 3_100));
  const probe = outcome(sink.send('raw.whoop', message(2)));
  await turn();
  await turn();
  assert.is(allCalls(producers).length, 2, 'after 3 s the next request probes Kafka');
  allCalls(producers).at(-1)!.ack();
  await turn();
  assert.is(probe.value, 'acked', 'and a successful probe is answered 202');
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

test('a batch Kafka never acknowledges counts as a failure: it opens the breaker, and later requests are refused at once', async () => {
  const { kafka, producers } = fakeKafka();
  const errors: string[] = [];
  const sink = createKafkaRawSink({ kafka, timeoutMs: 100, producers: 2, breakerFailures: 1, halfOpenAfterMs: 60_000, onError: (kind) => errors.push(kind) });
  await sink.connect();
  const hanging = outcome(sink.send('raw.whoop', message(0)));
  await sleep(150);
  assert.is(hanging.value, 'timeout', 'the request of the hanging batch got 503 at its deadline');
  assert.not.ok(sink.ready(), 'the timed-out batch opened the breaker');
  const refused = outcome(sink.send('raw.whoop', message(1)));
  await turn();
  await turn();
  assert.is(refused.value, 'breaker_open', 'the next request is refused without a produce request');
  assert.is(producers.reduce((n, p) => n + p.calls.length, 0), 1, 'only the hanging batch reached Kafka');
  assert.ok(errors.includes('breaker_open'), `expected the refusal counted as breaker_open, got ${errors.join(', ')}`);
  producers.find((p) => p.calls.length > 0)!.calls[0]!.ack();
});

/** One producer whose first send is still unanswered after the request's deadline (answered 503). */
async function sinkWithLateSend() {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 100, producers: 1 });
  await sink.connect();
  const late = outcome(sink.send('raw.whoop', message(0)));
  await sleep(150);
  assert.is(late.value, 'timeout', 'the first request was answered 503 at its deadline');
  return { sink, producers, late };
}

test('a producer whose send outlived its deadline takes no other batch until that send ends', async () => {
  const { sink, producers, late } = await sinkWithLateSend();
  const next = outcome(sink.send('raw.whoop', message(1)));
  await sleep(20);
  assert.is(producers[0]!.calls.length, 1, 'no second send while the first still retries');
  producers[0]!.calls[0]!.ack();
  await sleep(5);
  assert.is(producers[0]!.calls.length, 2, 'the queued request went out once the first send ended');
  producers[0]!.calls[1]!.ack();
  await turn();
  assert.is(next.value, 'acked');
  assert.is(late.value, 'timeout', 'the late ack does not turn the 503 into a 202');
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

test('a fatal idempotence error replaces that producer with a new one; the next batch goes through it', async () => {
  const { kafka, producers } = fakeKafka();
  const replaced: string[] = [];
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, onProducerReplaced: (reason) => replaced.push(reason) });
  await sink.connect();
  const failed = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  producers[0]!.calls[0]!.fail(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45));
  await sleep(5);
  assert.is(failed.value, 'send_failed', 'the batch that met the error is answered 503 (the vendor retries it)');
  assert.equal(replaced, ['OUT_OF_ORDER_SEQUENCE_NUMBER'], 'the replacement was reported with the broker error');
  assert.is(producers.length, 2, 'a second producer (a new producer id) was created');
  assert.is(producers[1]!.connects, 1, 'and connected at once, without waiting for traffic');
  assert.is(producers[0]!.disconnects, 1, 'the old producer was disconnected');

  const next = outcome(sink.send('raw.whoop', message(1)));
  await turn();
  assert.is(producers[0]!.calls.length, 1, 'the old producer gets no more batches');
  assert.is(producers[1]!.calls.length, 1, 'the next batch went to the new producer');
  producers[1]!.calls[0]!.ack();
  await turn();
  assert.is(next.value, 'acked', 'accepted again through the new producer');
  await sink.disconnect();
});

test('a fatal idempotence answer that arrives after its batch timed out still replaces the producer', async () => {
  const { sink, producers } = await sinkWithLateSend();
  assert.is(producers.length, 1, 'no replacement before the broker answers');
  producers[0]!.calls[0]!.fail(brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45));
  await sleep(5);
  assert.is(producers.length, 2, 'the late fatal answer replaced the producer');
  const next = outcome(sink.send('raw.whoop', message(1)));
  await turn();
  producers[1]!.calls[0]!.ack();
  await turn();
  assert.is(next.value, 'acked', 'accepted through the new producer');
  await sink.disconnect();
});

test('every failed send replaces the producer, naming the broker\'s error when it means the producer\'s id or sequence is lost', async () => {
  // A failed request's sequence numbers are given back, and it may have been written: the same
  // producer's next records would be acknowledged as duplicates without being written.
  const kinds: Array<[Error, string]> = [
    [brokerError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45), 'OUT_OF_ORDER_SEQUENCE_NUMBER'],
    [brokerError('UNKNOWN_PRODUCER_ID', 59), 'UNKNOWN_PRODUCER_ID'],
    [brokerError('INVALID_PRODUCER_EPOCH', 47), 'INVALID_PRODUCER_EPOCH'],
    [brokerError('INVALID_PRODUCER_ID_MAPPING', 49), 'INVALID_PRODUCER_ID_MAPPING'],
    [brokerError('PRODUCER_FENCED', 90), 'PRODUCER_FENCED'],
    [brokerError('NOT_ENOUGH_REPLICAS', 19), 'send_failed'],
    [new kafkajs.KafkaJSNonRetriableError('Connection error: connect ECONNREFUSED'), 'send_failed'],
  ];
  for (const [error, reason] of kinds) {
    const { kafka, producers } = fakeKafka();
    const replaced: string[] = [];
    const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, onProducerReplaced: (why) => replaced.push(why) });
    await sink.connect();
    const failed = outcome(sink.send('raw.whoop', message(0)));
    await turn();
    producers[0]!.calls[0]!.fail(error);
    await sleep(5);
    assert.is(failed.value, 'send_failed', `${reason}: answered 503`);
    assert.is(producers.length, 2, `${reason}: the producer was replaced`);
    assert.equal(replaced, [reason], `${reason}: named as the reason`);
    const next = outcome(sink.send('raw.whoop', message(1)));
    await turn();
    await turn();
    assert.is(producers[0]!.calls.length, 1, `${reason}: the old producer sends nothing more`);
    producers[1]!.calls[0]!.ack();
    await turn();
    assert.is(next.value, 'acked', `${reason}: the next request goes through the new producer`);
  }
});

test('a producer disconnected by the sink is not replaced when its retrying send gives up', async () => {
  const { kafka, producers } = fakeKafka();
  const replaced: string[] = [];
  const sink = createKafkaRawSink({ kafka, timeoutMs: 50, producers: 1, onProducerReplaced: (why) => replaced.push(why) });
  await sink.connect();
  const failed = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  await sleep(80);
  assert.is(failed.value, 'timeout', 'answered 503 at its deadline');
  const stopping = sink.disconnect();
  await turn();
  producers[0]!.calls[0]!.fail(new kafkajs.KafkaJSNonRetriableError('The producer disconnected while the send was retrying'));
  await stopping;
  assert.is(producers.length, 1, 'no new producer made while stopping');
  assert.equal(replaced, [], 'nothing replaced');
});

test('a record larger than the raw topic accepts is refused at once, without a produce request', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, maxRecordBytes: 2_000 });
  await sink.connect();
  const error = await sink.send('raw.whoop', { key: null, value: Buffer.alloc(2_000) }).catch((e: unknown) => e);
  assert.instance(error, RecordTooLargeError, 'a RecordTooLargeError (413), not a SinkUnavailableError (503)');
  assert.match((error as Error).message, 'larger than the raw topic accepts (2000 bytes)', 'the reason names the limit');
  assert.is(producers[0]!.calls.length, 0, 'nothing sent to Kafka');
});

test('a produce request carries at most maxRecordBytes, so records never share a batch the broker would refuse', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, maxRecordBytes: 2_500 });
  await sink.connect();
  const first = outcome(sink.send('raw.whoop', message(0)));
  await turn();
  const large = [1, 2, 3].map(() => outcome(sink.send('raw.whoop', { key: null, value: Buffer.alloc(1_000) })));
  producers[0]!.calls[0]!.ack();
  await turn();
  assert.is(first.value, 'acked', 'the first record acked');
  assert.is(producers[0]!.calls[1]?.records, 2, 'two 1 KB records fit in 2.5 KB, the third does not');
  producers[0]!.calls[1]!.ack();
  await turn();
  assert.is(producers[0]!.calls[2]?.records, 1, 'the third went in the next request');
  producers[0]!.calls[2]!.ack();
  await turn();
  assert.equal(large.map((o) => o.value), ['acked', 'acked', 'acked'], 'all acked');
  await sink.disconnect();
});

test('a batch the broker refuses for size is sent again record by record; the one too large gets 413; the breaker stays closed', async () => {
  const { kafka, producers } = fakeKafka();
  const sink = createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1, breakerFailures: 1 });
  await sink.connect();
  const batch = [0, 1].map((n) => outcome(sink.send('raw.whoop', message(n))));
  await turn();
  assert.is(producers[0]!.calls[0]!.records, 2, 'both records in one request');
  producers[0]!.calls[0]!.fail(brokerError('MESSAGE_TOO_LARGE', 10));
  await turn();
  await turn();
  assert.equal(batch.map((o) => o.value), [undefined, undefined], 'no answer yet: each is tried alone');
  assert.is(allCalls(producers)[1]?.records, 1, 'the first record alone');
  allCalls(producers)[1]!.fail(brokerError('MESSAGE_TOO_LARGE', 10));
  await turn();
  await turn();
  assert.is(batch[0]!.value, 'too_large', 'refused alone: 413, never 503');
  assert.is(allCalls(producers)[2]?.records, 1, 'the second record alone');
  allCalls(producers)[2]!.ack();
  await turn();
  assert.is(batch[1]!.value, 'acked', 'the other record is stored');
  assert.is(producers.length, 3, 'each refused request replaced its producer: other partitions of it may have been written');
  const after = outcome(sink.send('raw.whoop', message(2)));
  await turn();
  await turn();
  assert.is(allCalls(producers).length, 4, 'a size refusal is the request\'s fault: the breaker (1 failure opens it) let the next batch through');
  allCalls(producers)[3]!.ack();
  await turn();
  assert.is(after.value, 'acked', 'and it was stored');
  await sink.disconnect();
});

test.run();
