// Backfill on the real Kafka and Redis: a request on the backfill topic → the vendor's collection
// endpoints (the local simulator), every page → the user's history on hydrated.<vendor>, in the
// shape live hydration writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Consumer, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import { backfillRecord } from '../../src/hydrate/backfill.ts';
import { redisRateLimits } from '../../src/hydrate/rate-limits.ts';
import { runTopology, StreamEvents, type RunningTopology } from '../../src/streams/index.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../../src/topics.ts';
import { mapPayload } from '../../src/vendors/normalize-record.ts';
import { oura as ouraPlugin } from '../../src/vendors/oura/index.ts';
import { hydrateTopology } from '../../topologies/hydrate.ts';
import { MemoryTokenSource } from '../support/memory-token-source.ts';
import { createTopics, kafkaClient, redis as redisClient, unique } from '../support/services.ts';
import { startVendorApiSim, type VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { documented } from '../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../support/vendor-sim/sim-hydration.ts';
import { waitUntil } from '../support/wait-until.ts';

const kafka = kafkaClient();
const topicsOf = (stage: string) => Object.fromEntries(hydratedVendorIds.map((vendor) => [vendor, unique(`test.${stage}.${vendor}`)])) as Record<HydratedVendorId, string>;
const verified = topicsOf('verified');
const hydrated = topicsOf('hydrated');
const deadLetters = unique('test.dlq.hydrate');
const backfillRequests = unique('test.backfill');
const allTopics = [...Object.values(verified), ...Object.values(hydrated), deadLetters, backfillRequests];

let sim: VendorApiSim;
let redis: Redis;
let producer: Producer;
let reader: Consumer;
let running: RunningTopology | undefined;
const tokens = new MemoryTokenSource((token) => sim.grant(token));
const events = new StreamEvents();
const paused: string[] = [];
const outputs: { topic: string; key: string; value: Record<string, unknown>; headers: Record<string, string> }[] = [];
const dead: { reason: string }[] = [];
const outputsOf = (vendorUserId: string) => outputs.filter((o) => o.key.endsWith(`:${vendorUserId}`));
const admin = kafka.admin();

test.before(async () => {
  sim = await startVendorApiSim();
  redis = redisClient();
  await admin.connect();
  await createTopics(admin, allTopics);
  producer = kafka.producer();
  await producer.connect();
  const limits = redisRateLimits(
    redis,
    {
      oura: { app: { requests: 5_000, windowSeconds: 300 }, user: { requests: 100, windowSeconds: 60 } },
      whoop: { app: { requests: 100, windowSeconds: 60 }, user: { requests: 100, windowSeconds: 60 } },
    },
    { keyPrefix: unique('test:backfill:rl') },
  );
  const topology = hydrateTopology({
    hydration: simHydration(sim.baseUrl, tokens, { limits, http: { initialDelayMs: 20, maxDelayMs: 100 } }),
    topics: { verified: (v) => verified[v], hydrated: (v) => hydrated[v], deadLetter: deadLetters, groupId: unique('test.backfill'), backfill: backfillRequests },
  });
  events.on('paused', ({ dependency }) => void paused.push(dependency));
  running = await runTopology(topology, { kafka, events });
  reader = kafka.consumer({ groupId: unique('test.reader') });
  await reader.connect();
  await reader.subscribe({ topics: [...Object.values(hydrated), deadLetters], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      if (topic === deadLetters) dead.push({ reason: headers['dlq-reason'] ?? '' });
      else outputs.push({ topic, key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>, headers });
    },
  });
});

test.after(async () => {
  await running?.stop();
  await reader?.disconnect();
  await producer?.disconnect();
  await admin.deleteTopics({ topics: allTopics }).catch(() => undefined);
  await admin.disconnect();
  redis?.disconnect();
  await sim?.close();
});

test('a backfill lists the window page by page and writes each document in the live shape, behind a 429 it waits out', async () => {
  const window = { startDate: '2025-01-14', endDate: '2025-01-16' };
  const ouraBackfillUser = 'oura-backfill-user';
  sim.grant('oura-token-backfill');
  tokens.connect('oura', ouraBackfillUser, 'oura-token-backfill');
  const between = `start_date=${window.startDate}&end_date=${window.endDate}`;
  const day = (d: string) => ({ ...documented.ouraDailySleep, id: `ds-${d}`, day: d });
  sim.serve('oura', `/v2/usercollection/sleep?${between}`, { data: [{ ...(documented.ouraSleepOfDay['data'] as object[])[0], day: '2025-01-14' }], next_token: null });
  sim.serve('oura', `/v2/usercollection/daily_sleep?${between}`, { data: [day('2025-01-14')], next_token: 'page-2' });
  sim.serve('oura', `/v2/usercollection/daily_sleep?${between}&next_token=page-2`, { data: [day('2025-01-15')], next_token: null });
  sim.serve('oura', `/v2/usercollection/daily_readiness?${between}`, { data: [documented.ouraDailyReadiness], next_token: null });
  sim.script('oura', '/v2/usercollection/daily_readiness', [{ status: 429, headers: { 'retry-after': '1' } }]);

  const whoopBackfillUser = '777001';
  sim.grant('whoop-token-backfill');
  tokens.connect('whoop', whoopBackfillUser, 'whoop-token-backfill');
  const range = `start=${encodeURIComponent(`${window.startDate}T00:00:00.000Z`)}&end=${encodeURIComponent(`${window.endDate}T00:00:00.000Z`)}&limit=25`;
  sim.serve('whoop', `/v2/recovery?${range}`, { records: [documented.whoopRecovery], next_token: 'n-2' });
  sim.serve('whoop', `/v2/recovery?${range}&nextToken=n-2`, { records: [{ ...documented.whoopRecovery, sleep_id: 'second-night' }] });
  sim.serve('whoop', `/v2/activity/sleep?${range}`, { records: [documented.whoopSleep] });
  sim.serve('whoop', `/v2/activity/workout?${range}`, { records: [] });

  const pausedBefore = paused.length;
  await producer.send({
    topic: backfillRequests,
    messages: [backfillRecord({ vendor: 'oura', vendorUserId: ouraBackfillUser, ...window }), backfillRecord({ vendor: 'whoop', vendorUserId: whoopBackfillUser, ...window })],
  });
  await waitUntil('the Oura and WHOOP history', () => outputsOf(ouraBackfillUser).length >= 3 && outputsOf(whoopBackfillUser).length >= 3, { timeoutMs: 30_000 });

  const oura = outputsOf(ouraBackfillUser);
  assert.equal(oura.map((o) => [o.topic, o.value['data_type']]), [[hydrated.oura, 'daily_sleep'], [hydrated.oura, 'daily_sleep'], [hydrated.oura, 'daily_readiness']], 'expected both pages of daily_sleep, then the readiness');
  const firstNight = oura[0]!.value['documents'] as Record<string, unknown[]>;
  assert.is(firstNight['sleep']?.length, 1, 'expected the night’s sleep period beside its daily_sleep, as live hydration adds it');
  assert.is((oura[1]!.value['documents'] as Record<string, unknown[]>)['sleep']?.length, 0, 'expected no period for a day that has none');
  assert.is(oura[0]!.headers['backfill'], `${window.startDate}/${window.endDate}`, 'expected the window named in a header');
  const events = oura.flatMap((o) => mapPayload(ouraPlugin, Buffer.from(JSON.stringify(o.value)), 'application/json', { receivedAt: Date.now() }).events);
  assert.equal(events.map((e) => e.dataType), ['sleep', 'sleep', 'readiness'], 'expected normalize to map the backfill like live documents');

  const whoop = outputsOf(whoopBackfillUser);
  assert.equal(whoop.map((o) => o.value['sleep_id'] ?? o.value['id']), [documented.whoopRecovery['sleep_id'], 'second-night', documented.whoopSleep['id']], 'expected both recovery pages, then the sleep, as WHOOP serves them');
  assert.ok(paused.slice(pausedBefore).includes('oura-api'), `expected the 429 to pause, saw ${paused.slice(pausedBefore).join(', ')}`);
  assert.is(dead.length, 0, 'expected zero dead letters');
});

test('a backfill request of a vendor without history, or malformed, is a dead letter that says so', async () => {
  const before = dead.length;
  await producer.send({
    topic: backfillRequests,
    messages: [
      { key: 'polar:1', value: JSON.stringify({ vendor: 'polar', vendor_user_id: '1', start_date: '2025-01-01', end_date: '2025-01-02' }) },
      { key: 'oura:1', value: 'not json' },
    ],
  });
  await waitUntil('two dead letters', () => dead.length >= before + 2, { timeoutMs: 20_000 });
  assert.equal(dead.slice(before).map((d) => d.reason).sort(), ['malformed_backfill_request', 'unsupported_backfill'], 'expected the two reasons');
});

test.run();
