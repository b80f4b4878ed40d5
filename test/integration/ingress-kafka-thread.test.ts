import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { config } from '../support/services.ts';
import { createIngress, RecordTooLargeError, SinkUnavailableError } from '../../src/ingress/index.ts';
import { createThreadedRawSink } from '../../src/ingress/threaded-raw-sink.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { unique } from '../support/services.ts';
import { collector, eventually, header, isolatedTopics, testIngressOptions, whoopRequest } from './ingress-support.ts';

const test = suite('ingress: Kafka on a thread of its own (INGRESS_KAFKA_THREAD=worker), real broker');
const silent = createLogger({ level: 'silent' });

function threadedSink(options: { timeoutMs?: number; maxRecordBytes?: number; onBatch?: (size: number) => void } = {}) {
  return createThreadedRawSink({
    clientId: unique('thread'),
    brokers: config.KAFKA_BROKERS,
    logLevel: 'silent',
    timeoutMs: options.timeoutMs ?? 10_000,
    halfOpenAfterMs: 3_000,
    producers: 2,
    lingerMs: 2,
    maxRecordBytes: options.maxRecordBytes ?? 1_048_588,
    log: silent,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
}

test('60 concurrent webhooks: each 202 after the ack, each record on the raw topic byte for byte with its headers', async () => {
  const topics = await isolatedTopics();
  const batches: number[] = [];
  const sink = threadedSink({ onBatch: (size) => batches.push(size) });
  const ingress = createIngress(testIngressOptions(topics, { sink }));
  const { port } = await ingress.listen();
  const raw = await collector([topics.raw('whoop')]);
  try {
    assert.ok(await eventually(() => sink.ready(), 10_000), 'expected the sink ready once its thread connected');
    const requests = Array.from({ length: 60 }, (_, n) => whoopRequest({ user_id: n, id: `thread-${n}`, type: 'sleep.updated', trace_id: `t-${n}` }));
    const answers = await Promise.all(
      requests.map(async ({ body, headers }) => {
        const res = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers, body: new Uint8Array(body) });
        return { status: res.status, id: ((await res.json()) as { id?: string }).id, body };
      }),
    );
    assert.equal(answers.map((a) => a.status), answers.map(() => 202), 'expected every webhook answered 202');
    assert.ok(await eventually(() => raw.records.length >= 60, 30_000), `expected 60 records on the raw topic, got ${raw.records.length}`);
    for (const answer of answers) {
      const stored = raw.records.find((r) => header(r.message, 'x-request-id') === answer.id);
      assert.ok(stored, `expected the record of request ${answer.id}`);
      assert.ok(stored.message.value?.equals(answer.body), 'expected the body byte for byte');
      assert.ok(header(stored.message, 'x-whoop-signature'), 'expected the signature header forwarded');
    }
    assert.is(raw.records.length, 60, 'expected no record twice');
    assert.is(batches.reduce((a, b) => a + b, 0), 60, 'expected the thread to report its produce batches to the HTTP side');
  } finally {
    await raw.stop();
    await ingress.close();
    await topics.remove();
  }
});

test('a record larger than the topic takes is refused as too large, across the thread', async () => {
  const sink = threadedSink({ maxRecordBytes: 2_000 });
  try {
    await sink.connect();
    const error = await sink.send(`${unique('never')}.raw.whoop`, { key: null, value: Buffer.alloc(4_000, 120), headers: { 'x-request-id': 'big' } }).catch((e: unknown) => e);
    assert.instance(error, RecordTooLargeError, 'expected RecordTooLargeError (answered 413)');
    assert.is((error as RecordTooLargeError).limitBytes, 2_000, 'expected the limit carried over');
  } finally {
    await sink.disconnect();
  }
});

test('a record Kafka cannot take in time is answered unavailable (503), not left waiting', async () => {
  const sink = threadedSink({ timeoutMs: 1_500 });
  try {
    await sink.connect();
    const started = Date.now();
    // No such topic, and the ingress's producers never create one: Kafka cannot take it.
    const error = await sink.send(`${unique('missing')}.raw.whoop`, { key: null, value: Buffer.from('{}'), headers: { 'x-request-id': 'lost' } }).catch((e: unknown) => e);
    assert.instance(error, SinkUnavailableError, 'expected SinkUnavailableError (answered 503 with Retry-After)');
    assert.ok(Date.now() - started < 5_000, `expected the answer within the timeout, took ${Date.now() - started} ms`);
  } finally {
    await sink.disconnect();
  }
});

test.run();
