// Backfill on the real Kafka and Redis: a request on the backfill topic → the vendor's collection
// endpoints (the local simulator), every page → the user's history on hydrated.<vendor>, in the
// shape live hydration writes.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Producer } from 'kafkajs';
import { backfillRecord } from '../../src/hydrate/backfill.ts';
import type { HydratedVendorId } from '../../src/topics.ts';
import { mapPayload } from '../../src/vendors/normalize-record.ts';
import { oura as ouraPlugin } from '../../src/vendors/oura/index.ts';
import { withings as withingsPlugin } from '../../src/vendors/withings/index.ts';
import { googleHealth as googleHealthPlugin } from '../../src/vendors/google-health/index.ts';
import type { MemoryTokenSource } from '../support/memory-token-source.ts';
import { collectionStyles, type VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { documented } from '../support/vendor-sim/documented-resources.ts';
import { waitUntil } from '../support/wait-until.ts';
import { startHydrateHarness, type HydrateHarness } from './hydrate-support.ts';

let harness: HydrateHarness;
let sim: VendorApiSim;
let tokens: MemoryTokenSource;
let producer: Producer;
let hydrated: Record<HydratedVendorId, string>;
let backfillRequests: string;
let paused: string[];
let dead: HydrateHarness['dead'];
const outputsOf = (vendorUserId: string) => harness.outputsOf(vendorUserId);

test.before(async () => {
  harness = await startHydrateHarness({
    oura: { app: { requests: 5_000, windowSeconds: 300 }, user: { requests: 100, windowSeconds: 60 } },
    whoop: { app: { requests: 100, windowSeconds: 60 }, user: { requests: 100, windowSeconds: 60 } },
  });
  ({ sim, tokens, producer, hydrated, backfillRequests, paused, dead } = harness);
});

test.after(async () => {
  await harness?.stop();
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
  sim.serve('oura', `/v2/usercollection/daily_activity?${between}`, { data: [], next_token: null });
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
  await waitUntil('the Oura and WHOOP history', () => outputsOf(ouraBackfillUser).length >= 4 && outputsOf(whoopBackfillUser).length >= 3, { timeoutMs: 30_000 });

  const oura = outputsOf(ouraBackfillUser);
  assert.equal(
    oura.map((o) => [o.topic, o.value['data_type']]),
    [[hydrated.oura, 'daily_sleep'], [hydrated.oura, 'daily_sleep'], [hydrated.oura, 'daily_readiness'], [hydrated.oura, 'sleep']],
    'expected both pages of daily_sleep, then the readiness, then the sleep period as a sleep notification hydrates it',
  );
  assert.equal(Object.keys(oura[0]!.value['documents'] as object), ['daily_sleep'], 'expected a daily_sleep alone, as live hydration writes it: its night comes as the sleep period');
  assert.is(oura[0]!.headers['backfill'], `${window.startDate}/${window.endDate}`, 'expected the window named in a header');
  const events = oura.flatMap((o) => mapPayload(ouraPlugin, Buffer.from(JSON.stringify(o.value)), 'application/json', { receivedAt: Date.now() }).events);
  assert.equal(events.map((e) => e.dataType), ['sleep', 'sleep', 'readiness', 'sleep'], 'expected normalize to map the backfill like live documents');

  const whoop = outputsOf(whoopBackfillUser);
  assert.equal(whoop.map((o) => o.value['sleep_id'] ?? o.value['id']), [documented.whoopRecovery['sleep_id'], 'second-night', documented.whoopSleep['id']], 'expected both recovery pages, then the sleep, as WHOOP serves them');
  assert.ok(paused.slice(pausedBefore).includes('oura-api'), `expected the 429 to pause, saw ${paused.slice(pausedBefore).join(', ')}`);
  assert.is(dead.length, 0, 'expected zero dead letters');
});

test('Withings and Google Health backfills write what their notifications would have fetched, and normalize maps it', async () => {
  const window = { startDate: '2025-01-14', endDate: '2025-01-21' };
  const fixture = (vendor: string, name: string) => JSON.parse(readFileSync(new URL(`../fixtures/vendors/${vendor}/api/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
  sim.serve('withings', '/measure', documented.withingsMeasures);
  // Sleep and activity listed as Withings lists them: by day range, so the nights and days just
  // outside the window (the 13th, the 21st) must not come back.
  const [night] = (documented.withingsSleep['body'] as { series: Record<string, unknown>[] }).series;
  const [day] = (fixture('withings', 'getactivity.json')['body'] as { activities: Record<string, unknown>[] }).activities;
  const outside = ['2025-01-13', '2025-01-21'];
  sim.collection('withings', '/v2/sleep', collectionStyles.withingsSleep, [...outside.map((date, n) => ({ ...night, id: n + 1, date })), night!]);
  sim.collection('withings', '/v2/measure', collectionStyles.withingsActivity, [...outside.map((date) => ({ ...day, date })), day!]);
  sim.serve('google-health', '/v4/users/me/dataTypes/daily-heart-rate-variability/dataPoints', fixture('google-health', 'daily-heart-rate-variability.json'));
  sim.serve('google-health', '/v4/users/me/dataTypes/daily-resting-heart-rate/dataPoints', fixture('google-health', 'daily-resting-heart-rate.json'));
  for (const [vendor, user] of [['withings', 'w-backfill'], ['google-health', 'gh-backfill']] as const) {
    sim.grant(`${vendor}-token-backfill`);
    tokens.connect(vendor, user, `${vendor}-token-backfill`);
  }
  await producer.send({
    topic: backfillRequests,
    messages: [backfillRecord({ vendor: 'withings', vendorUserId: 'w-backfill', ...window }), backfillRecord({ vendor: 'google-health', vendorUserId: 'gh-backfill', ...window })],
  });
  await waitUntil('the Withings and Google Health history', () => outputsOf('w-backfill').length >= 3 && outputsOf('gh-backfill').length >= 2, { timeoutMs: 30_000 });
  const withings = outputsOf('w-backfill');
  assert.equal(withings.map((o) => o.value['appli']), ['1', '44', '16'], 'expected measures, sleep and activity of the window');
  const asked = sim.requests('withings').filter((r) => /^\/v2\/(sleep|measure)\?/.test(r.path)).map((r) => new URL(r.path, 'http://sim').searchParams);
  assert.equal(asked.map((q) => [q.get('action'), q.get('startdateymd'), q.get('enddateymd'), q.has('lastupdate')]), [['getsummary', '2025-01-14', '2025-01-20', false], ['getactivity', '2025-01-14', '2025-01-20', false]], 'expected sleep and activity asked for the week’s days, its last day included');
  assert.is(withings[0]!.value['startdate'], String(Date.parse('2025-01-14T00:00:00Z') / 1000), 'expected the window as Unix seconds, as a notification names it');
  const mapped = (plugin: Parameters<typeof mapPayload>[0], o: (typeof withings)[number]) => mapPayload(plugin, Buffer.from(JSON.stringify(o.value)), 'application/json', { receivedAt: Date.now() }).events;
  const withingsEvents = withings.flatMap((o) => mapped(withingsPlugin, o));
  assert.equal(withingsEvents.map((e) => e.dataType), ['body', 'sleep', 'activity'], 'expected normalize to map each like a live document, and no night or day outside the window');
  // The same events as live notifications of those categories hydrate to (their eventIds).
  const live = [
    { appli: '1', document: documented.withingsMeasures['body'] },
    { appli: '44', document: { series: [night], more: false, offset: 0 } },
    { appli: '16', document: { activities: [day], more: false, offset: 0 } },
  ].flatMap((v) => mapPayload(withingsPlugin, Buffer.from(JSON.stringify({ user_id: 'w-backfill', startdate: '1', enddate: '2', ...v })), 'application/json', { receivedAt: Date.now() }).events);
  assert.equal(withingsEvents.map((e) => e.eventId), live.map((e) => e.eventId), 'expected the eventIds live documents of that week give');
  const google = outputsOf('gh-backfill');
  assert.equal(google.map((o) => o.value['data_type']), ['daily-heart-rate-variability', 'daily-resting-heart-rate'], 'expected the two daily types the baselines read');
  const googleEvents = google.flatMap((o) => mapped(googleHealthPlugin, o));
  assert.equal(googleEvents.map((e) => [e.dataType, e.hrvRmssdMs, e.restingHeartRateBpm]), [['hrv', 38.4, null], ['heart_rate', null, 57]], 'expected the night’s HRV and the resting heart rate as headlines');
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
