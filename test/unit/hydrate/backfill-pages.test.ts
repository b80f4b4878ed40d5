import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backfillDocuments } from '../../../src/hydrate/backfill.ts';
import { ouraHydrator } from '../../../src/hydrate/oura.ts';
import { userApi } from '../../../src/hydrate/user-api.ts';
import { unlimited } from '../../../src/hydrate/rate-limits.ts';
import { DependencyUnavailableError } from '../../../src/streams/errors.ts';
import { MemoryTokenSource } from '../../support/memory-token-source.ts';
import { collectionStyles, startVendorApiSim, type VendorApiSim } from '../../support/vendor-sim/api-server.ts';
import { documented } from '../../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../../support/vendor-sim/sim-hydration.ts';

// A backfill walks every page of the vendors' list endpoints (the simulator pages them as the
// vendors document) and gives each document the value live hydration gives it.

let sim: VendorApiSim;
let tokens: MemoryTokenSource;
const week = { startDate: '2025-01-13', endDate: '2025-01-20' };
const ouraUser = 'oura-history';
const whoopUser = '10129';
const listed = (vendor: string, path: string) => sim.requests(vendor).filter((r) => r.path.startsWith(`${path}?`));

const ouraDay = (type: 'daily_sleep' | 'daily_readiness' | 'daily_activity', day: string) => {
  const base = type === 'daily_readiness' ? documented.ouraDailyReadiness : documented.ouraDailySleep;
  return { ...base, id: `${type}-${day}`, day, timestamp: `${day}T00:00:00+00:00` };
};
const night = (day: string) => ({ ...(documented.ouraSleepOfDay['data'] as Record<string, unknown>[])[0], id: `sleep-${day}`, day });
const recovery = (n: number) => ({ ...documented.whoopRecovery, sleep_id: `night-${n}`, created_at: `2025-01-${String(13 + (n % 7)).padStart(2, '0')}T11:25:44.774Z` });

test.before.each(async () => {
  sim = await startVendorApiSim();
  tokens = new MemoryTokenSource((token) => sim.grant(token));
  sim.grant('oura-token');
  sim.grant('whoop-token');
  tokens.connect('oura', ouraUser, 'oura-token');
  tokens.connect('whoop', whoopUser, 'whoop-token');
  const days = ['2025-01-12', '2025-01-14', '2025-01-15', '2025-01-16', '2025-01-20'];
  sim.collection('oura', '/v2/usercollection/daily_sleep', collectionStyles.oura, days.map((day) => ouraDay('daily_sleep', day)), 2);
  sim.collection('oura', '/v2/usercollection/sleep', collectionStyles.oura, [night('2025-01-12'), night('2025-01-15')], 2);
  sim.collection('oura', '/v2/usercollection/daily_readiness', collectionStyles.oura, [ouraDay('daily_readiness', '2025-01-15')], 2);
  sim.collection('oura', '/v2/usercollection/daily_activity', collectionStyles.oura, [], 2);
  sim.collection('whoop', '/v2/recovery', collectionStyles.whoop, Array.from({ length: 30 }, (_, n) => recovery(n)));
  sim.collection('whoop', '/v2/activity/sleep', collectionStyles.whoop, [documented.whoopSleep, { ...documented.whoopSleep, id: 'earlier', start: '2025-01-01T22:00:00.000Z' }]);
  sim.collection('whoop', '/v2/activity/workout', collectionStyles.whoop, []);
});
test.after.each(() => sim.close());

test('an Oura week is every page of each listed type, each document in the envelope live hydration writes', async () => {
  const values = await backfillDocuments(simHydration(sim.baseUrl, tokens), { vendor: 'oura', vendorUserId: ouraUser, ...week });
  const summary = values.map((v) => `${String(v['data_type'])}:${Object.values(v['documents'] as Record<string, { id: string }[]>).map((list) => list.map((d) => d.id).join('+')).join('|')}`);
  assert.equal(
    summary,
    ['daily_sleep:daily_sleep-2025-01-14', 'daily_sleep:daily_sleep-2025-01-15', 'daily_sleep:daily_sleep-2025-01-16', 'daily_readiness:daily_readiness-2025-01-15', 'sleep:sleep-2025-01-15'],
    'expected the window’s documents only (not 01-12 or 01-20), each alone as its notification gives it',
  );
  assert.is(listed('oura', '/v2/usercollection/daily_sleep').length, 2, 'expected both pages of daily_sleep (3 documents, 2 a page) fetched');
  assert.ok(listed('oura', '/v2/usercollection/daily_sleep').at(-1)!.path.includes('next_token=2'), 'expected the second page asked for with the first page’s next_token');
  assert.is(listed('oura', '/v2/usercollection/sleep').length, 1, 'expected the periods listed once for the whole week');

  // The live fetch of the same daily_sleep, through the same simulator: the values must be equal.
  const document = ouraDay('daily_sleep', '2025-01-15');
  sim.serve('oura', `/v2/usercollection/daily_sleep/${document.id}`, document);
  const connection = (await tokens.connectionFor('oura', ouraUser))!;
  const hydration = simHydration(sim.baseUrl, tokens);
  const live = await ouraHydrator.fetch({ dataType: 'daily_sleep', objectId: document.id }, userApi(hydration.http.oura, tokens, unlimited, connection), ouraUser);
  assert.equal(values[1], live, 'expected the backfilled daily_sleep to equal what a notification of it hydrates to');
});

test('a WHOOP week walks next_token with limit=25 through every collection and keeps records as served', async () => {
  const values = await backfillDocuments(simHydration(sim.baseUrl, tokens), { vendor: 'whoop', vendorUserId: whoopUser, ...week });
  assert.is(values.filter((v) => v['sleep_id'] !== undefined && v['cycle_id'] !== undefined).length, 30, 'expected all 30 recoveries over two pages');
  assert.equal(values.slice(30).map((v) => v['id']), [documented.whoopSleep['id']], 'expected the week’s sleep only, then no workout');
  const recoveries = listed('whoop', '/v2/recovery');
  assert.is(recoveries.length, 2, 'expected 25 then 5 recoveries: two pages');
  assert.ok(recoveries.every((r) => r.path.includes('limit=25')), 'expected every page asked for with limit=25');
  assert.ok(recoveries[1]!.path.includes('nextToken=25'), 'expected the second page named by the first page’s next_token');
  assert.equal(values[0], recovery(0), 'expected a record exactly as WHOOP serves it');
});

test('a 429 mid-walk pauses the request (no dead letter) and the retried request gets every page; a 401 is refreshed once', async () => {
  const hydration = simHydration(sim.baseUrl, tokens);
  const request = { vendor: 'whoop' as const, vendorUserId: whoopUser, ...week };
  sim.script('whoop', '/v2/recovery?', [{ status: 401 }]);
  sim.script('whoop', '/v2/activity/sleep?', [{ status: 429, headers: { 'retry-after': '2' } }]);
  const paused = await backfillDocuments(hydration, request).then(
    () => assert.unreachable('expected the 429 to stop the request'),
    (error: unknown) => error,
  );
  assert.instance(paused, DependencyUnavailableError, 'expected a pause, which the stage never dead-letters');
  assert.is((paused as DependencyUnavailableError).retryAfterMs, 2_000, 'expected the pause to last the vendor’s Retry-After');
  assert.is(tokens.refreshes.size, 1, 'expected the 401 refreshed once');
  const values = await backfillDocuments(hydration, request);
  assert.is(values.length, 31, 'expected the retried request to list every page again: 30 recoveries and a sleep');
});

test.run();
