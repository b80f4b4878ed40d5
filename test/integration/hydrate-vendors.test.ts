import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { redriveDeadLetters } from '../../src/operators/index.ts';
import type { HydratedVendorId } from '../../src/topics.ts';
import type { MemoryTokenSource } from '../support/memory-token-source.ts';
import { kafkaClient, unique } from '../support/services.ts';
import type { VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { documented, serveDocumented } from '../support/vendor-sim/documented-resources.ts';
import { waitUntil } from '../support/wait-until.ts';
import { startHydrateHarness, type HydrateHarness } from './hydrate-support.ts';

// The hydrate stage on the real Kafka and Redis; only the vendors' APIs are the local simulator.

const ouraUser = String(documented.ouraNotification['user_id']);
let harness: HydrateHarness;
let sim: VendorApiSim;
let tokens: MemoryTokenSource;
let producer: Producer;
let metrics: Registry;
let verified: Record<HydratedVendorId, string>;
let hydrated: Record<HydratedVendorId, string>;
let deadLetters: string;
let paused: string[];
let resumed: number[];
let dead: HydrateHarness['dead'];
const kafka = kafkaClient();

const send = (vendor: HydratedVendorId, vendorUserId: string, body: object) =>
  producer.send({ topic: verified[vendor], messages: [{ key: `${vendor}:${vendorUserId}`, value: JSON.stringify({ ...body, user_id: vendorUserId }), headers: { 'x-request-id': unique('r'), 'received-at': String(Date.now()) } }] });
const outputsOf = (vendorUserId: string) => harness.outputsOf(vendorUserId);

test.before(async () => {
  harness = await startHydrateHarness(
    {
      oura: { app: { requests: 5_000, windowSeconds: 300 }, user: { requests: 2, windowSeconds: 2 } },
      whoop: { app: { requests: 100, windowSeconds: 60 }, user: { requests: 100, windowSeconds: 60 } },
      garmin: { app: { requests: 100, windowSeconds: 60 }, user: { requests: 100, windowSeconds: 60 } },
    },
    serveDocumented,
  );
  ({ sim, tokens, producer, metrics, verified, hydrated, deadLetters, paused, resumed, dead } = harness);
});

test.after(async () => {
  await harness?.stop();
});

test('an Oura daily_sleep notification on verified.oura becomes its documents on hydrated.oura', async () => {
  sim.grant('oura-token');
  tokens.connect('oura', ouraUser, 'oura-token');
  await send('oura', ouraUser, documented.ouraNotification);
  const out = await waitUntil('the hydrated daily_sleep', () => outputsOf(ouraUser)[0]);
  assert.is(out.topic, hydrated.oura, 'expected hydrated.oura');
  assert.is(out.key, `oura:${ouraUser}`, 'expected the notification key');
  assert.equal((out.value['documents'] as Record<string, unknown>)['daily_sleep'], [documented.ouraDailySleep], 'expected the fetched document');
  assert.ok(out.headers['x-request-id']?.startsWith('r-'), 'expected the carried request id');
});

test('a 429 pauses the partition for Retry-After and resumes: the record goes through, no dead letter', async () => {
  sim.grant('whoop-token-429');
  tokens.connect('whoop', '429001', 'whoop-token-429');
  sim.script('whoop', '/v2/activity/sleep', [{ status: 429, headers: { 'retry-after': '1' } }]);
  const sentAt = Date.now();
  await send('whoop', '429001', documented.whoopNotification);
  const out = await waitUntil('the hydrated recovery after the pause', () => outputsOf('429001')[0], { timeoutMs: 20_000 });
  assert.equal(out.value, documented.whoopRecovery, 'expected the recovery document');
  assert.ok(paused.includes('whoop-api'), `expected a pause on whoop-api, saw ${paused.join(', ')}`);
  assert.ok(resumed.some((at) => at - sentAt >= 900), 'expected the resume about a second later');
  assert.is(sim.requests('whoop').filter((r) => r.status === 429).length, 1, 'expected one 429, no tight loop');
  assert.is(dead.length, 0, 'expected zero dead letters');
});

test('the shared rate limit pauses like a 429 and nothing is dead-lettered', async () => {
  const user = 'rate-limited-user';
  sim.grant('oura-token-rl');
  tokens.connect('oura', user, 'oura-token-rl');
  const readiness = { ...documented.ouraNotification, user_id: user, data_type: 'daily_readiness', object_id: documented.ouraDailyReadiness['id'] };
  for (let i = 0; i < 3; i += 1) await send('oura', user, readiness);
  await waitUntil('three hydrated readiness documents', () => outputsOf(user).length >= 3, { timeoutMs: 20_000 });
  assert.ok(paused.includes('oura-rate-limit'), `expected a pause on the user's budget (2 per 2 s), saw ${paused.join(', ')}`);
  assert.is(dead.length, 0, 'expected zero dead letters');
});

test('401 → exactly one refresh → success', async () => {
  tokens.connect('whoop', '401001', 'whoop-token-expired');
  const connection = await tokens.connectionFor('whoop', '401001');
  await send('whoop', '401001', { ...documented.whoopNotification, type: 'sleep.updated' });
  const out = await waitUntil('the hydrated sleep', () => outputsOf('401001')[0]);
  assert.equal(out.value, documented.whoopSleep, 'expected the sleep document');
  assert.is(tokens.refreshes.get(connection!.id), 1, 'expected exactly one refresh');
});

test('revoked → connection_revoked dead letter; after a reconnect the redrive hydrates it', async () => {
  tokens.connect('whoop', '500001', 'whoop-token-gone');
  tokens.revokeGrant('whoop', '500001');
  await send('whoop', '500001', { ...documented.whoopNotification, type: 'sleep.updated' });
  const letter = await waitUntil('the connection_revoked dead letter', () => dead.find((d) => d.reason === 'connection_revoked'));
  assert.match(letter.source, verified.whoop, 'expected the verified topic as the source');
  sim.grant('whoop-token-new');
  tokens.connect('whoop', '500001', 'whoop-token-new');
  const redriven = await redriveDeadLetters(kafka, deadLetters, { reason: 'connection_revoked' });
  assert.equal(redriven.byTopic, { [verified.whoop]: 1 }, 'expected one record sent back to verified.whoop');
  const out = await waitUntil('the hydrated sleep after the redrive', () => outputsOf('500001')[0]);
  assert.equal(out.value, documented.whoopSleep, 'expected the sleep document');
});

test('404 is acknowledged and counted; a deletion is an op: delete record', async () => {
  sim.grant('whoop-token-del');
  tokens.connect('whoop', '404001', 'whoop-token-del');
  await send('whoop', '404001', { ...documented.whoopNotification, type: 'workout.updated', id: 'deleted-meanwhile' });
  await send('whoop', '404001', { ...documented.whoopNotification, type: 'sleep.deleted' });
  const deletion = await waitUntil('the deletion record', () => outputsOf('404001')[0]);
  assert.is(outputsOf('404001').length, 1, 'expected no record for the 404, one for the deletion');
  assert.is(deletion.headers['op'], 'delete', 'expected op: delete');
  assert.equal(deletion.value, { user_id: '404001', deleted: { type: 'sleep', id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' } }, 'expected the deleted sleep named');
  const gone = (await metrics.getSingleMetricAsString('hydrate_notifications_total')).split('\n').find((l) => l.includes('vendor="whoop"') && l.includes('outcome="gone"'));
  assert.is(gone?.split(' ')[1], '1', 'expected the gone counter at 1');
  assert.is(dead.filter((d) => d.reason !== 'connection_revoked').length, 0, 'expected no other dead letters');
});

test('a Garmin ping becomes the pulled summaries on hydrated.garmin, keyed by the ping user', async () => {
  const user = '4aacafe82427c251df9c9592d0c06768';
  sim.grant('garmin-token');
  tokens.connect('garmin', user, 'garmin-token');
  await producer.send({ topic: verified.garmin, messages: [{ key: `garmin:${user}`, value: JSON.stringify(documented.garminPing) }] });
  const out = await waitUntil('the pulled dailies', () => outputsOf(user)[0]);
  assert.is(out.topic, hydrated.garmin, 'expected hydrated.garmin');
  assert.equal((out.value['dailies'] as Record<string, unknown>[]).map((d) => d['summaryId']), ['x153a9f3-5f5d5c80-6'], 'expected the user’s daily summary');
});

test.run();
