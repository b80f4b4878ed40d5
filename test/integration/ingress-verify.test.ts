import { request, type OutgoingHttpHeaders } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.ts';
import { createIngress, createKafkaRawSink, type Ingress } from '../../src/ingress/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { migrate } from '../../src/sink/index.ts';
import { runTopology, type RunningTopology } from '../../src/streams/index.ts';
import { vendors } from '../../src/vendors/index.ts';
import { redisReplayGuard, verifySettings } from '../../src/verify/index.ts';
import { createConnectionReplica, type ConnectionReplica } from '../../src/connections/replica.ts';
import { connectionsMigrations } from '../../src/connections/migrations.ts';
import { verifyTopology } from '../../topologies/verify.ts';
import { kafkaClient, pgPool, redis, unique } from '../support/services.ts';
import { collector, eventually, header, isolatedTopics, secrets, testIngressOptions, type IsolatedTopics, whoopRequest } from './ingress-support.ts';

const silent = createLogger({ level: 'silent' });
const settings = verifySettings(
  loadConfig({ WHOOP_WEBHOOK_SECRETS: `rotated-new,${secrets.whoop}`, GARMIN_CLIENT_ID: secrets.garminClientId }),
  (vendor) => vendors[vendor].retryHorizonMs,
);

interface Context {
  topics: IsolatedTopics;
  ingress: Ingress;
  verify: RunningTopology;
  url: string;
  pool: ReturnType<typeof pgPool>;
  redis: ReturnType<typeof redis>;
  metrics: Registry;
  garminUser: string;
  replica: ConnectionReplica;
}

const test = suite<Context>('ingress → raw → verify → verified (real stack)');

test.before.each(async (context) => {
  context.topics = await isolatedTopics();
  context.pool = pgPool();
  context.redis = redis();
  context.metrics = new Registry();
  await migrate({ pool: context.pool, ...connectionsMigrations });
  context.garminUser = unique('garmin-user');
  await context.pool.query('INSERT INTO vendor_connections (vendor, vendor_user_id, user_id) VALUES ($1, $2, $3)', ['garmin', context.garminUser, unique('user')]);
  context.replica = createConnectionReplica({ pool: context.pool, log: silent });
  await context.replica.start();
  const sink = createKafkaRawSink({ kafka: kafkaClient(), timeoutMs: 10_000 });
  context.ingress = createIngress(testIngressOptions(context.topics, { sink, basePath: '/api/bridge' }));
  const address = await context.ingress.listen();
  context.url = `http://127.0.0.1:${address.port}/api/bridge/webhooks`;
  context.verify = await runTopology(
    verifyTopology({
      settings,
      replayGuard: redisReplayGuard(context.redis, unique('seen')),
      connections: context.replica,
      metrics: context.metrics,
      topics: context.topics,
    }),
    { kafka: kafkaClient(), log: silent },
  );
  assert.ok(await eventually(() => context.verify.isReady()), 'verify joined its group');
});

test.after.each(async (context) => {
  await context.verify.stop();
  context.replica.close();
  await context.ingress.close();
  await context.pool.query('DELETE FROM vendor_connections WHERE vendor_user_id = $1', [context.garminUser]);
  await context.pool.end();
  context.redis.disconnect();
  await context.topics.remove();
});

function post(url: string, headers: OutgoingHttpHeaders, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('signed deliveries reach verified.<vendor>; a repeated one only once; each failure has its dead letter', async ({ url, topics, metrics, garminUser }) => {
  const first = { user_id: 10129, id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8', type: 'sleep.updated', trace_id: unique('trace') };
  const sentinel = { ...first, trace_id: unique('trace') };
  const sends = [
    whoopRequest(first),
    whoopRequest(first, { signedAtMs: Date.now() + 1_000 }), // the vendor's retry, re-signed
    whoopRequest({ ...first, trace_id: unique('trace') }, { secret: 'not-ours' }),
    whoopRequest({ ...first, trace_id: unique('trace') }, { signedAtMs: Date.now() - 3 * 3_600_000 }),
    whoopRequest(Buffer.from('{"user_id": 10129, "trace_id": ')),
    whoopRequest({ id: 'no-user', type: 'sleep.updated', trace_id: unique('trace') }),
    whoopRequest(sentinel),
  ];
  for (const { headers, body } of sends) {
    const res = await post(`${url}/whoop`, headers, body);
    assert.is(res.status, 202, `accepted at ingress (${res.body})`);
  }
  const garmin = (userId: string) => post(`${url}/garmin`, { 'content-type': 'application/json', 'garmin-client-id': secrets.garminClientId }, JSON.stringify({ dailies: [{ userId, summaryId: unique('s'), steps: 1200 }] }));
  assert.is((await garmin(garminUser)).status, 202, 'garmin accepted');
  assert.is((await garmin('not-connected')).status, 202, 'unknown garmin user accepted at ingress');

  const out = await collector([topics.verified('whoop'), topics.verified('garmin'), topics.deadLetter]);
  try {
    const verified = () => out.records.filter((r) => r.topic !== topics.deadLetter);
    const letters = () => out.records.filter((r) => r.topic === topics.deadLetter);
    const sentinelSeen = () => verified().some((r) => r.message.value?.toString().includes(sentinel.trace_id) ?? false);
    assert.ok(await eventually(() => sentinelSeen() && letters().length >= 5 && verified().length >= 3), `records arrived (verified ${verified().length}, dead letters ${letters().length})`);
    const whoopOut = verified().filter((r) => r.topic === topics.verified('whoop'));
    assert.is(whoopOut.length, 2, 'first delivery and sentinel only: the repeat was not forwarded');
    assert.is(whoopOut[0]!.message.key?.toString(), 'whoop:10129', 'keyed <vendor>:<vendor user id>');
    assert.ok(whoopOut[0]!.message.value?.equals(sends[0]!.body), 'same bytes as posted');
    assert.is(header(whoopOut[0]!.message, 'x-whoop-signature'), sends[0]!.headers['x-whoop-signature'], 'signature header kept');
    assert.ok(header(whoopOut[0]!.message, 'x-request-id'), 'x-request-id kept');
    const garminOut = verified().filter((r) => r.topic === topics.verified('garmin'));
    assert.equal(garminOut.map((r) => r.message.key?.toString()), [`garmin:${garminUser}`], 'connected Garmin user verified');
    const reasons = letters().map((r) => header(r.message, 'dlq-reason')).sort();
    assert.equal(reasons, ['bad_signature', 'malformed_body', 'missing_user', 'stale_timestamp', 'unknown_user'], 'one dead letter per reason');
    assert.match(await metrics.metrics(), /verify_repeated_deliveries_total\{vendor="whoop"\} 1/, 'the repeat was counted');
  } finally {
    await out.stop();
  }
});

test('bad input: clear 4xx at ingress or a reasoned dead letter, never a 5xx', async ({ url, topics }) => {
  const statuses: Array<[string, number]> = [];
  const sign = (body: Buffer) => whoopRequest(body);
  const empty = sign(Buffer.alloc(0));
  statuses.push(['empty body', (await post(`${url}/whoop`, empty.headers, empty.body)).status]);
  const huge = sign(Buffer.alloc(10 * 1_048_576, 0x61));
  statuses.push(['10 MiB body', (await post(`${url}/whoop`, huge.headers, huge.body).catch(() => ({ status: 413, body: '' }))).status]);
  const missing = sign(Buffer.from('{"user_id":1}'));
  statuses.push(['missing signature', (await post(`${url}/whoop`, { 'content-type': 'application/json' }, missing.body)).status]);
  const duplicated = sign(Buffer.from('{"user_id":1}'));
  statuses.push(['duplicated signature', (await post(`${url}/whoop`, { ...duplicated.headers, 'x-whoop-signature': [duplicated.headers['x-whoop-signature'], 'AAAA'] }, duplicated.body)).status]);
  assert.equal(statuses, [['empty body', 400], ['10 MiB body', 413], ['missing signature', 401], ['duplicated signature', 400]], 'clear 4xx for each');

  const invalidUtf8 = sign(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
  const notJson = sign(Buffer.from('user_id=1&type=sleep'));
  const deep = sign(Buffer.from('{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)));
  for (const [name, req] of [['invalid UTF-8', invalidUtf8], ['non-JSON', notJson], ['deeply nested', deep]] as const) {
    const res = await post(`${url}/whoop`, req.headers, req.body);
    assert.is(res.status, 202, `${name} is accepted at ingress (cheap checks only)`);
  }
  const out = await collector([topics.deadLetter]);
  try {
    assert.ok(await eventually(() => out.records.length >= 3), `three dead letters arrived (${out.records.length})`);
    for (const record of out.records) {
      assert.is(header(record.message, 'dlq-reason'), 'malformed_body', 'reason malformed_body');
      assert.ok(header(record.message, 'dlq-detail'), 'with a detail');
    }
  } finally {
    await out.stop();
  }
});

test.run();
