import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { loadConfig } from '../../src/config/index.ts';
import { serdes } from '../../src/streams/index.ts';
import { TopologyTestDriver } from '../../src/streams/testing/index.ts';
import { vendors } from '../../src/vendors/index.ts';
import { memoryConnectionDirectory, memoryReplayGuard, verifySettings, type ReplayGuard } from '../../src/verify/index.ts';
import { verifyTopology } from '../../topologies/verify.ts';

const now = Date.UTC(2026, 5, 1, 12, 0, 0);
const config = loadConfig({
  WHOOP_WEBHOOK_SECRETS: 'whoop-new,whoop-old',
  TERRA_WEBHOOK_SECRETS: 'terra-secret',
  GARMIN_CLIENT_ID: 'garmin-key',
  WITHINGS_SOURCE_NETWORKS: '10.1.0.0/16',
});
const settings = verifySettings(config, (vendor) => vendors[vendor].retryHorizonMs);

function setup(options: { replayGuard?: ReplayGuard; recordConcurrency?: number } = {}) {
  const metrics = new Registry();
  const driver = new TopologyTestDriver(
    verifyTopology({
      settings,
      replayGuard: options.replayGuard ?? memoryReplayGuard(),
      ...(options.recordConcurrency ? { recordConcurrency: options.recordConcurrency } : {}),
      connections: memoryConnectionDirectory([['garmin', 'g-user'], ['withings', '1001']]),
      metrics,
    }),
    { now: () => now },
  );
  const input = (topic: string) => driver.inputTopic(topic, serdes.bytes(), serdes.bytes());
  return { driver, metrics, input };
}

const whoop = (payload: object, secret = 'whoop-old', signedAt = now) => {
  const value = Buffer.from(JSON.stringify(payload));
  const timestamp = String(signedAt);
  const signature = createHmac('sha256', secret).update(timestamp).update(value).digest('base64');
  return {
    value,
    headers: { 'content-type': 'application/json', 'x-whoop-signature': signature, 'x-whoop-signature-timestamp': timestamp, 'x-request-id': 'r-1', 'received-at': String(now) },
  };
};
const whoopBody = { user_id: 10129, id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8', type: 'sleep.updated', trace_id: 'trace-1' };

const test = suite('verify topology');

test('a signed WHOOP delivery goes to verified.whoop keyed whoop:<user>, same bytes and headers', async () => {
  const { driver, input } = setup();
  const record = whoop(whoopBody);
  await input('raw.whoop').pipe(record);
  const out = await driver.outputTopic('verified.whoop', serdes.string(), serdes.bytes()).readRecords();
  assert.is(out.length, 1, 'one verified record');
  assert.is(out[0]!.key, 'whoop:10129', 'keyed by vendor user id');
  assert.ok(out[0]!.value?.equals(record.value), 'same bytes');
  assert.equal(out[0]!.headers, record.headers, 'same headers');
  assert.is(driver.deadLetters().length, 0, 'no dead letters');
});

test('freshness is judged at the received-at ingress stamped: a backlog read hours later passes, a signature hours older than its receipt does not', async () => {
  const { driver, input } = setup();
  const hours = 3 * 3_600_000;
  // Received a minute after it was signed, read by verify three hours later (verify was down, or a redrive).
  const backlog = whoop({ ...whoopBody, trace_id: 'trace-backlog' }, 'whoop-old', now - hours);
  await input('raw.whoop').pipe({ ...backlog, headers: { ...backlog.headers, 'received-at': String(now - hours + 60_000) } });
  // Signed three hours before ingress received it: an old request posted again.
  await input('raw.whoop').pipe(whoop({ ...whoopBody, trace_id: 'trace-old' }, 'whoop-old', now - hours));
  const out = await driver.outputTopic('verified.whoop', serdes.string(), serdes.bytes()).readRecords();
  assert.is(out.length, 1, 'the backlog verified');
  assert.equal(driver.deadLetters().map((d) => d.headers['dlq-reason']), ['stale_timestamp'], 'the old signature refused');
});

test('a repeated delivery (same trace_id) is forwarded once and counted, not dead-lettered', async () => {
  const { driver, input, metrics } = setup();
  await input('raw.whoop').pipe(whoop(whoopBody));
  await input('raw.whoop').pipe(whoop(whoopBody, 'whoop-new', now + 60_000)); // a retry, re-signed
  const out = await driver.outputTopic('verified.whoop', serdes.string(), serdes.bytes()).readRecords();
  assert.is(out.length, 1, 'forwarded once');
  assert.is(driver.deadLetters().length, 0, 'not a dead letter');
  assert.match(await metrics.metrics(), /verify_repeated_deliveries_total\{vendor="whoop"\} 1/, 'counted once');
});

test('a signed Terra request sent again under another X-Terra-Trace-Id (the signature does not cover it) is a repeat, not a new delivery', async () => {
  const { driver, input, metrics } = setup();
  const value = Buffer.from(JSON.stringify({ type: 'sleep', user: { user_id: 'terra-user-1', provider: 'OURA' }, data: [] }));
  const t = String(Math.floor(now / 1000));
  const signature = `t=${t},v1=${createHmac('sha256', 'terra-secret').update(`${t}.`).update(value).digest('hex')}`;
  const delivery = (trace: string) => ({ value, headers: { 'content-type': 'application/json', 'terra-signature': signature, 'x-terra-trace-id': trace, 'x-request-id': trace, 'received-at': String(now) } });
  await input('raw.terra').pipe(delivery('trace-original'));
  await input('raw.terra').pipe(delivery('trace-forged'));
  const out = await driver.outputTopic('verified.terra', serdes.string(), serdes.bytes()).readRecords();
  assert.is(out.length, 1, 'forwarded once');
  assert.match(await metrics.metrics(), /verify_repeated_deliveries_total\{vendor="terra"\} 1/, 'the second counted as a repeat');
});

test('recordConcurrency: claims run at once, each delivery goes on once, outputs keep the input order', async () => {
  // A guard on a slow link: later claims answer sooner, so an ordered result is the runtime's doing.
  const guard = memoryReplayGuard();
  const flight = { now: 0, max: 0 };
  const slowGuard: ReplayGuard = {
    async claim(vendor, deliveryId, claimant, ttl) {
      flight.now += 1;
      flight.max = Math.max(flight.max, flight.now);
      await new Promise((resolve) => setTimeout(resolve, 20 - (Number(deliveryId.split('-')[1]) % 20)));
      flight.now -= 1;
      return guard.claim(vendor, deliveryId, claimant, ttl);
    },
  };
  const { driver, input, metrics } = setup({ replayGuard: slowGuard, recordConcurrency: 8 });
  // 20 deliveries of 4 users, every fifth sent twice in a row (the copy is a retry, re-signed).
  for (let n = 0; n < 20; n += 1) {
    const body = { ...whoopBody, user_id: 1000 + (n % 4), trace_id: `trace-${n}` };
    await input('raw.whoop').queue(whoop(body));
    if (n % 5 === 0) await input('raw.whoop').queue(whoop(body, 'whoop-new', now + 1_000));
  }
  await driver.flush();
  const out = await driver.outputTopic('verified.whoop', serdes.string(), serdes.bytes()).readRecords();
  const traces = out.map((r) => (JSON.parse(r.value!.toString()) as { trace_id: string }).trace_id);
  assert.equal(traces, Array.from({ length: 20 }, (_, n) => `trace-${n}`), 'each delivery once, in the order they arrived');
  assert.ok(flight.max > 1, `claims were in flight together (at most ${flight.max})`);
  assert.match(await metrics.metrics(), /verify_repeated_deliveries_total\{vendor="whoop"\} 4/, 'the four copies counted');
});

test('each failure reason lands in dlq.verify with its reason and the input unchanged', async () => {
  const { driver, input } = setup();
  const bad = whoop(whoopBody, 'not-ours');
  await input('raw.whoop').pipe(bad);
  await input('raw.whoop').pipe(whoop({ ...whoopBody, trace_id: 't-2' }, 'whoop-new', now - 3 * 3_600_000));
  const garbage = whoop({});
  const notJson = Buffer.from('not json {');
  const signed = createHmac('sha256', 'whoop-new').update(String(now)).update(notJson).digest('base64');
  await input('raw.whoop').pipe({ value: notJson, headers: { ...garbage.headers, 'x-whoop-signature': signed } });
  await input('raw.whoop').pipe(whoop({ id: 'x', type: 'sleep.updated', trace_id: 't-3' }));
  await input('raw.garmin').pipe({ value: Buffer.from('{"dailies":[{"userId":"stranger","summaryId":"s1"}]}'), headers: { 'content-type': 'application/json', 'garmin-client-id': 'garmin-key' } });
  const reasons = driver.deadLetters().map((letter) => letter.reason);
  assert.equal(reasons, ['bad_signature', 'stale_timestamp', 'malformed_body', 'missing_user', 'unknown_user'], 'one dead letter per reason, in order');
  assert.ok(driver.deadLetters()[0]!.value?.equals(bad.value), 'dead letter carries the input bytes unchanged');
  for (const letter of driver.deadLetters()) {
    assert.not.match(letter.detail, /10129|stranger/, `detail "${letter.detail}" holds no user id`);
  }
});

test('invalid UTF-8 and deeply nested JSON are malformed_body, not crashes', async () => {
  const { driver, input } = setup();
  const sign = (value: Buffer) => ({ 'content-type': 'application/json', 'x-whoop-signature': createHmac('sha256', 'whoop-new').update(String(now)).update(value).digest('base64'), 'x-whoop-signature-timestamp': String(now) });
  const invalidUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
  const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
  await input('raw.whoop').pipe({ value: invalidUtf8, headers: sign(invalidUtf8) });
  await input('raw.whoop').pipe({ value: deep, headers: sign(deep) });
  const letters = driver.deadLetters();
  assert.equal(letters.map((l) => l.reason), ['malformed_body', 'malformed_body'], 'both malformed');
  assert.match(letters[0]!.detail, /UTF-8/, 'says UTF-8');
  assert.match(letters[1]!.detail, /nested/, 'says nesting');
});

test('Garmin: our consumer key and a connected user verify; another key is bad_signature', async () => {
  const { driver, input } = setup();
  const value = Buffer.from('{"dailies":[{"userId":"g-user","summaryId":"x-1","steps":4000}]}');
  await input('raw.garmin').pipe({ value, headers: { 'content-type': 'application/json', 'garmin-client-id': 'garmin-key' } });
  await input('raw.garmin').pipe({ value, headers: { 'content-type': 'application/json', 'garmin-client-id': 'someone-else' } });
  const out = await driver.outputTopic('verified.garmin', serdes.string(), serdes.bytes()).readRecords();
  assert.equal(out.map((r) => r.key), ['garmin:g-user'], 'one verified, keyed by Garmin user');
  assert.equal(driver.deadLetters().map((l) => l.reason), ['bad_signature'], 'wrong consumer key');
});

test('Withings: form body from an allowed network and connected user verifies; other networks fail', async () => {
  const { driver, input } = setup();
  const value = Buffer.from('userid=1001&appli=44&startdate=1780315200&enddate=1780318800');
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  await input('raw.withings').pipe({ value, headers: { ...headers, 'source-address': '10.1.2.3' } });
  await input('raw.withings').pipe({ value: Buffer.from('userid=1001&appli=1&startdate=1&enddate=2'), headers: { ...headers, 'source-address': '192.0.2.9' } });
  const out = await driver.outputTopic('verified.withings', serdes.string(), serdes.bytes()).readRecords();
  assert.equal(out.map((r) => r.key), ['withings:1001'], 'verified from 10.1.0.0/16');
  assert.equal(driver.deadLetters().map((l) => l.reason), ['bad_signature'], 'outside the allow-list');
});

test('the graph reads as named steps', () => {
  const { driver } = setup();
  const text = driver.topology.describe().toString();
  for (const name of ['raw-webhooks', 'check-signature', 'check-connected-user', 'drop-repeated-deliveries', 'verified-webhooks']) {
    assert.ok(text.includes(name), `describe() names ${name}`);
  }
});

test.run();
