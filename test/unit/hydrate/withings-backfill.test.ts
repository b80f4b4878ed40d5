// A Withings backfill asks sleep v2 Getsummary and measure v2 Getactivity for each request's days
// only (`startdateymd`/`enddateymd`), never `lastupdate`, which answers everything changed since
// and made every week of a backfill fetch the later weeks again. The simulator lists nights and
// days as Withings does (by day range or by `lastupdate`, refusals as a status inside a 200).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backfillDocuments, backfillMessages, readBackfillRequest } from '../../../src/hydrate/backfill.ts';
import { hydrateNotification } from '../../../src/hydrate/hydrate-notification.ts';
import type { RecordError } from '../../../src/streams/errors.ts';
import { mapPayload } from '../../../src/vendors/normalize-record.ts';
import { withings } from '../../../src/vendors/withings/index.ts';
import { MemoryTokenSource } from '../../support/memory-token-source.ts';
import { collectionStyles, startVendorApiSim, type VendorApiSim } from '../../support/vendor-sim/api-server.ts';
import { documented } from '../../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../../support/vendor-sim/sim-hydration.ts';
import { fixture } from '../vendors/mapping-fixtures.ts';

let sim: VendorApiSim;
let tokens: MemoryTokenSource;
const user = 'withings-history';
const now = Date.parse('2025-03-10T12:00:00Z'); // a 30-day backfill: 2025-02-09 to 2025-03-10, five requests
const dayMs = 86_400_000; // one day
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const midnight = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
const daysBetween = (first: string, last: string) => Array.from({ length: (Date.parse(last) - Date.parse(first)) / dayMs + 1 }, (_, n) => isoDay(Date.parse(first) + n * dayMs));
const windowDays = daysBetween('2025-02-09', '2025-03-10');

// The user's history: a night and a day of activity for every day from nine days before the
// window up to today, each synced (modified) the morning after or the same evening.
const history = daysBetween('2025-01-31', '2025-03-10');
const nightTemplate = (documented.withingsSleep['body'] as { series: Record<string, unknown>[] }).series[0]!;
const activityTemplate = (JSON.parse(fixture('withings', 'api/getactivity.json').toString()) as { body: { activities: Record<string, unknown>[] } }).body.activities[0]!;
const nights = history.map((date, n) => ({ ...nightTemplate, id: 3_000_000 + n, date, startdate: midnight(date) - 7_200, enddate: midnight(date) + 25_200, modified: midnight(date) + 28_800 }));
const activities = history.map((date) => ({ ...activityTemplate, date, modified: midnight(date) + 82_800 }));

const listed = (path: string) => sim.requests('withings').filter((r) => r.path.startsWith(`${path}?`)).map((r) => new URL(r.path, 'http://sim').searchParams);
const documentsOf = (values: readonly Record<string, unknown>[], appli: string, list: string) =>
  values.filter((v) => v['appli'] === appli).flatMap((v) => (v['document'] as Record<string, Record<string, unknown>[]>)[list] ?? []);

test.before.each(async () => {
  sim = await startVendorApiSim();
  tokens = new MemoryTokenSource((token) => sim.grant(token));
  sim.grant('withings-token');
  tokens.connect('withings', user, 'withings-token');
  sim.serve('withings', '/measure', documented.withingsMeasures);
  // One page per call holds the whole history, as the bridge reads one page (no offset walk).
  sim.collection('withings', '/v2/sleep', collectionStyles.withingsSleep, nights, 100);
  sim.collection('withings', '/v2/measure', collectionStyles.withingsActivity, activities, 100);
});
test.after.each(() => sim.close());

test('a 30-day Withings backfill: one getsummary and one getactivity per week, bounded days that meet without overlap, every night and day once', async () => {
  const requests = backfillMessages('withings', user, 30, now).map((message) => readBackfillRequest(message.value));
  const hydration = simHydration(sim.baseUrl, tokens);
  const values: Record<string, unknown>[] = [];
  for (const request of requests) values.push(...(await backfillDocuments(hydration, request)));

  const summaries = listed('/v2/sleep');
  const activity = listed('/v2/measure');
  assert.is(requests.length, 5, 'expected 30 days as four weeks and two days');
  assert.is(summaries.length, requests.length, `expected one getsummary per week, saw ${summaries.length}`);
  assert.is(activity.length, requests.length, `expected one getactivity per week, saw ${activity.length}`);
  assert.is(listed('/measure').length, requests.length, 'expected one getmeas per week, as before');
  for (const [name, calls] of [['getsummary', summaries], ['getactivity', activity]] as const) {
    assert.ok(calls.every((query) => query.get('action') === name), `expected every call to be ${name}`);
    assert.ok(calls.every((query) => !query.has('lastupdate')), `expected no ${name} call to ask by lastupdate`);
    const ranges = calls.map((query) => [query.get('startdateymd'), query.get('enddateymd')]);
    assert.equal(
      ranges,
      [['2025-02-09', '2025-02-15'], ['2025-02-16', '2025-02-22'], ['2025-02-23', '2025-03-01'], ['2025-03-02', '2025-03-08'], ['2025-03-09', '2025-03-10']],
      `expected ${name} over each week's days, the last day included`,
    );
    const covered = ranges.flatMap(([first, last]) => daysBetween(first!, last!));
    assert.equal(covered, windowDays, `expected ${name}'s ranges to cover the 30 days in order, each day once (no gap, no overlap)`);
  }

  const served = [...documentsOf(values, '44', 'series'), ...documentsOf(values, '16', 'activities')];
  assert.equal(documentsOf(values, '44', 'series').map((night) => night['date']), windowDays, 'expected each night of the window once, none before it');
  assert.equal(documentsOf(values, '16', 'activities').map((day) => day['date']), windowDays, 'expected each day of activity of the window once, none before it');
  assert.is(served.length, 60, 'expected 60 documents served for 60 needed');
  const events = values.flatMap((value) => mapPayload(withings, Buffer.from(JSON.stringify(value)), 'application/json', { receivedAt: now }).events);
  const nightAndDayIds = events.filter((event) => event.dataType === 'sleep' || event.dataType === 'activity').map((event) => event.eventId);
  assert.is(nightAndDayIds.length, 60, 'expected a sleep and an activity event per day');
  assert.is(new Set(nightAndDayIds).size, 60, 'expected no event twice');
});

test('a live sleep notification keeps its form: getsummary by lastupdate, the nights changed since its start', async () => {
  const form = Buffer.from(`userid=${user}&appli=44&startdate=${midnight('2025-03-08')}&enddate=${midnight('2025-03-09')}`);
  const [result] = await hydrateNotification(simHydration(sim.baseUrl, tokens), 'withings', form);
  const [query] = listed('/v2/sleep');
  assert.equal([query?.get('lastupdate'), query?.has('startdateymd'), query?.has('enddateymd')], [String(midnight('2025-03-08')), false, false], 'expected lastupdate alone');
  const document = result?.kind === 'document' ? (result.value['document'] as { series: { date: string }[] }) : undefined;
  assert.equal(document?.series.map((night) => night.date), ['2025-03-08', '2025-03-09', '2025-03-10'], 'expected the nights modified after the window start');
});

test('the simulator refuses as Withings does, a status inside a 200: an empty day range is vendor_refused; lastupdate with a range, or neither, is invalid', async () => {
  const failure = (await backfillDocuments(simHydration(sim.baseUrl, tokens), { vendor: 'withings', vendorUserId: user, startDate: '2025-02-09', endDate: '2025-02-09' }).then(
    () => assert.unreachable('expected Withings to refuse a range that ends before it starts'),
    (error: unknown) => error,
  )) as RecordError;
  assert.is(failure.reason, 'vendor_refused', 'expected status 503 mapped to vendor_refused');
  assert.match(failure.message, /status 503/, 'expected the status named');
  const ask = async (query: string) => (await fetch(`${sim.baseUrl('withings')}/v2/sleep?action=getsummary&${query}`, { headers: { authorization: 'Bearer withings-token' } })).json() as Promise<Record<string, unknown>>;
  for (const query of [`lastupdate=${midnight('2025-03-01')}&startdateymd=2025-03-01&enddateymd=2025-03-07`, '', 'startdateymd=2025-03-01', `startdateymd=${midnight('2025-03-01')}&enddateymd=${midnight('2025-03-07')}`]) {
    const answer = await ask(query);
    assert.is(answer['status'], 503, `expected "${query}" refused with status 503`);
    assert.type(answer['error'], 'string', 'expected an error that says which parameter');
  }
  const week = await ask('startdateymd=2025-03-01&enddateymd=2025-03-07');
  assert.equal(((week['body'] as { series: { date: string }[] }).series).map((night) => night.date), daysBetween('2025-03-01', '2025-03-07'), 'expected both bounds included');
});

test.run();
