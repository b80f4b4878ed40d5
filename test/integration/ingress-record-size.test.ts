import { execFile } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRawTopicLimits, createIngress, createKafkaRawSink, RawTopicLimitError } from '../../src/ingress/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createTopics as createPipelineTopics } from '../../src/operators/topics-create.ts';
import { rawTopicMessageBytes } from '../../src/topic-limits.ts';
import { kafkaClient, unique } from '../support/services.ts';
import { collector, eventually, header, isolatedTopics, testIngressOptions, whoopRequest } from './ingress-support.ts';

const test = suite('ingress: every body it accepts can be stored (real broker)');
const silent = createLogger({ level: 'silent' });
const maxBodyBytes = 1_048_576; // the default INGRESS_MAX_BODY_BYTES

async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A topic made by `bridge topics create`'s code, with the limit it gives raw topics. */
async function rawTopicAsCreated(): Promise<string> {
  const topic = `${unique('size')}.raw.whoop`;
  const settings = { partitions: 1, replicationFactor: 1, retentionMs: 3_600_000, dlqRetentionMs: 3_600_000, compression: 'producer' };
  await withAdmin((admin) => createPipelineTopics(admin, [topic], { ...settings, maxMessageBytes: () => rawTopicMessageBytes(maxBodyBytes) }));
  return topic;
}

/** A signed WHOOP body of exactly `bytes` bytes (JSON, padded inside a string). */
function whoopBodyOf(bytes: number): Buffer {
  const head = '{"user_id":1,"id":"big","type":"sleep.updated","trace_id":"t-big","pad":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
}

test('a body of exactly INGRESS_MAX_BODY_BYTES is answered 202 and its record is on raw.<vendor>', async () => {
  const topic = await rawTopicAsCreated();
  const limit = await withAdmin((admin) => checkRawTopicLimits(admin, [topic], maxBodyBytes, silent));
  assert.is(limit, rawTopicMessageBytes(maxBodyBytes), 'expected the start-up check to read the limit topics create set');

  const topics = await isolatedTopics();
  const sink = createKafkaRawSink({ kafka: kafkaClient(), timeoutMs: 10_000, maxRecordBytes: limit });
  const ingress = createIngress(testIngressOptions(topics, { sink, maxBodyBytes, rawTopic: () => topic }));
  const { port } = await ingress.listen();
  const raw = await collector([topic]);
  try {
    const body = whoopBodyOf(maxBodyBytes);
    assert.is(body.length, maxBodyBytes, 'expected the body to be exactly the limit');
    const { headers } = whoopRequest(body);
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers, body: new Uint8Array(body) });
    const answer = (await res.json()) as { id?: string; error?: string };
    assert.is(res.status, 202, `expected 202, got ${res.status} ${answer.error ?? ''}`);
    assert.ok(await eventually(() => raw.records.some((r) => header(r.message, 'x-request-id') === answer.id), 30_000), 'expected the record on the raw topic');
    const stored = raw.records.find((r) => header(r.message, 'x-request-id') === answer.id)!;
    assert.ok(stored.message.value?.equals(body), 'expected the body byte for byte');

    const over = whoopBodyOf(maxBodyBytes + 1);
    const refused = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers: whoopRequest(over).headers, body: new Uint8Array(over) });
    assert.is(refused.status, 413, 'expected one byte more to be 413');
  } finally {
    await raw.stop();
    await ingress.close();
    await topics.remove();
  }
});

test('start-up check: a raw topic at Kafka\'s stock 1 MiB limit (less than a 1 MiB body needs) is refused in one line naming it', async () => {
  const topic = `${unique('size')}.raw.whoop`;
  const error = await withAdmin(async (admin) => {
    // Kafka's stock message.max.bytes; the native stack's broker default is larger, so the topic says it.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
    return checkRawTopicLimits(admin, [topic], maxBodyBytes, silent).catch((e: unknown) => e);
  });
  assert.instance(error, RawTopicLimitError, 'expected a RawTopicLimitError (a configuration error, exit 78)');
  const message = (error as Error).message;
  assert.not.match(message, '\n', 'expected one line');
  assert.match(message, `INGRESS_MAX_BODY_BYTES=${maxBodyBytes} needs max.message.bytes >= ${rawTopicMessageBytes(maxBodyBytes)}`, 'expected the needed limit');
  assert.match(message, `but ${topic} allows`, 'expected the topic named');
  assert.match(message, 'bridge topics create', 'expected what to do');
});

test('a record the broker refuses for size is answered 413 with a reason, never 503; the producer goes on', async () => {
  const topic = `${unique('size')}.raw.whoop`;
  await withAdmin((admin) =>
    admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }] }),
  );
  const topics = await isolatedTopics();
  // The sink is not told the topic's limit, so only the broker's refusal can say it.
  const sink = createKafkaRawSink({ kafka: kafkaClient(), timeoutMs: 10_000 });
  const ingress = createIngress(testIngressOptions(topics, { sink, rawTopic: () => topic }));
  const { port } = await ingress.listen();
  try {
    const large = whoopBodyOf(50_000);
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers: whoopRequest(large).headers, body: new Uint8Array(large) });
    assert.is(res.status, 413, 'expected 413 for a record the broker refuses for size');
    assert.match(((await res.json()) as { error: string }).error, 'larger than the raw topic accepts', 'expected the reason');
    const small = whoopRequest({ user_id: 1, id: 'small', type: 'sleep.updated', trace_id: 't-small' });
    const next = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers: small.headers, body: new Uint8Array(small.body) });
    assert.is(next.status, 202, 'expected the next, ordinary webhook accepted');
  } finally {
    await ingress.close();
    await topics.remove();
  }
});

test('`bridge ingress` exits 78 with one line when the raw topics cannot hold INGRESS_MAX_BODY_BYTES', async () => {
  const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/bridge.js', 'ingress'],
      { env: { ...process.env, FORCE_COLOR: '0', INGRESS_PORT: '0', INGRESS_MAX_BODY_BYTES: '50000000', LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
  assert.is(result.code, 78, `expected exit 78 (EX_CONFIG), got ${result.code}: ${result.stderr}`);
  // Node may add its own process warnings (kafkajs on Node 24); the refusal itself is one line.
  const line = result.stderr.split('\n').find((l) => l.startsWith('INGRESS_MAX_BODY_BYTES='));
  assert.ok(line, `expected a line starting with the variable to change: ${result.stderr}`);
  assert.match(line!, /^INGRESS_MAX_BODY_BYTES=50000000 needs max\.message\.bytes >= \d+ on the raw topics, but raw\.\S+ allows \d+.*: run `bridge topics create` or lower INGRESS_MAX_BODY_BYTES$/, 'expected reason, topic and remedy on that one line');
});

test.run();
