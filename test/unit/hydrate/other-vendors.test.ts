import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hydrateNotification } from '../../../src/hydrate/hydrate-notification.ts';
import { DependencyUnavailableError, RecordError } from '../../../src/streams/errors.ts';
import { garminMapping } from '../../../src/vendors/garmin/mapping.ts';
import { googleHealthDaysFilter, googleHealthFilter } from '../../../src/vendors/google-health/api.ts';
import { googleHealthHydrator } from '../../../src/hydrate/google-health.ts';
import type { MemoryTokenSource } from '../../support/memory-token-source.ts';
import type { VendorApiSim } from '../../support/vendor-sim/api-server.ts';
import { documented, startDocumentedSim } from '../../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../../support/vendor-sim/sim-hydration.ts';

// Google Health, Polar, Withings and Garmin ping notifications → the fetches they need, through the simulator.

let sim: VendorApiSim;
let tokens: MemoryTokenSource;
const garminUser = '4aacafe82427c251df9c9592d0c06768';
const withingsForm = (appli: number) => Buffer.from(`userid=38271645&appli=${appli}&startdate=1736895600&enddate=1736924400`);
const json = (value: object) => Buffer.from(JSON.stringify(value));
const hydration = () => simHydration(sim.baseUrl, tokens);
const failure = (promise: Promise<unknown>) => promise.then(() => assert.unreachable('expected hydration to fail'), (error: unknown) => error);

test.before.each(async () => void ({ sim, tokens } = await startDocumentedSim()));
test.after.each(() => sim.close());

test('a Google Health UPSERT lists the data points of each notified interval with a time filter', async () => {
  const result = await hydrateNotification(hydration(), 'google-health', json(documented.googleHealthNotification));
  assert.equal(
    result,
    [
      {
        kind: 'document',
        vendorUserId: '118234567890123456789',
        value: { user_id: '118234567890123456789', data_type: 'heart-rate-variability', data_points: documented.googleHealthHrv['dataPoints'] },
      },
    ],
    'expected the HRV data points of the interval',
  );
  const [request] = sim.requests('google-health');
  const filter = new URL(`http://sim${request!.path}`).searchParams.get('filter');
  assert.is(
    filter,
    'heart_rate_variability.sample_time.physical_time >= "2025-01-14T22:00:00Z" AND heart_rate_variability.sample_time.physical_time < "2025-01-15T07:00:00Z"',
    'expected a sample-time filter in snake case for the interval',
  );
});

test('Google Health filters: samples by sample time, sessions and intervals by start time, daily types by date', () => {
  const [start, end] = ['2025-01-14T22:00:00Z', '2025-01-15T07:00:00Z'];
  assert.is(googleHealthFilter('respiratory-rate-sleep-summary', start, end), `respiratory_rate_sleep_summary.sample_time.physical_time >= "${start}" AND respiratory_rate_sleep_summary.sample_time.physical_time < "${end}"`, 'expected the sleep respiratory summary filtered as a sample');
  assert.is(googleHealthFilter('sleep', start, end), `sleep.interval.start_time >= "${start}" AND sleep.interval.start_time < "${end}"`, 'expected a sleep session filtered by its start');
  assert.is(googleHealthFilter('daily-vo2-max', start, end), 'daily_vo2_max.date >= "2025-01-13" AND daily_vo2_max.date < "2025-01-17"', 'expected a daily type filtered by date');
});

test('Google Health daily types: every local date an interval can fall on is asked, its last included', () => {
  const datesOf = (filter: string) => [...filter.matchAll(/date (>=|<) "([\d-]+)"/g)].map(([, op, date]) => `${op} ${date}`);
  assert.equal(
    datesOf(googleHealthFilter('daily-heart-rate-variability', '2025-01-15T08:00:00Z', '2025-01-15T09:00:00Z')),
    ['>= 2025-01-14', '< 2025-01-17'],
    'expected an interval within one UTC date to ask that date (not an empty range), and the day on either side for the user’s UTC offset',
  );
  assert.equal(
    datesOf(googleHealthFilter('daily-heart-rate-variability', '2025-01-14T22:00:00Z', '2025-01-15T07:00:00Z')),
    ['>= 2025-01-13', '< 2025-01-17'],
    'expected a night across midnight to ask the date it ends on (the 15th) and the dates a UTC offset moves it to',
  );
  assert.equal(
    datesOf(googleHealthFilter('daily-resting-heart-rate', '2025-01-14T00:00:00Z', '2025-01-15T00:00:00Z')),
    ['>= 2025-01-13', '< 2025-01-16'],
    'expected an interval ending at midnight not to ask the day that begins at its end',
  );
  try {
    googleHealthFilter('daily-resting-heart-rate', 'yesterday', '2025-01-15T00:00:00Z');
    assert.unreachable('expected a time that is not a time refused');
  } catch (error) {
    assert.instance(error, RecordError, 'expected a RecordError, a dead letter rather than a crash');
    assert.is((error as RecordError).reason, 'malformed_notification', 'expected malformed_notification');
  }
});

test('a Google Health backfill lists the daily types by the window’s own dates, its end excluded', async () => {
  const filters: string[] = [];
  const get = async (path: string, query?: Readonly<Record<string, string>>) => {
    filters.push(`${path.split('/')[5]}: ${query?.['filter'] ?? ''}`);
    return { dataPoints: [] };
  };
  assert.equal(await googleHealthHydrator.backfill!({ startDate: '2025-01-13', endDate: '2025-01-20' }, get, '1182'), [], 'expected nothing written for a window without points');
  assert.equal(
    filters,
    [
      'daily-heart-rate-variability: daily_heart_rate_variability.date >= "2025-01-13" AND daily_heart_rate_variability.date < "2025-01-20"',
      'daily-resting-heart-rate: daily_resting_heart_rate.date >= "2025-01-13" AND daily_resting_heart_rate.date < "2025-01-20"',
    ],
    'expected the dates of the window, so that its weeks meet without overlap',
  );
  assert.is(googleHealthDaysFilter('weight', '2025-01-13', '2025-01-20'), 'weight.sample_time.physical_time >= "2025-01-13T00:00:00Z" AND weight.sample_time.physical_time < "2025-01-20T00:00:00Z"', 'expected other types by the window’s UTC instants');
});

test('a Google Health DELETE names the data type and intervals, with no request', async () => {
  const notification = { data: { ...(documented.googleHealthNotification['data'] as object), operation: 'DELETE' } };
  const [deleted] = await hydrateNotification(hydration(), 'google-health', json(notification));
  assert.equal(
    deleted,
    {
      kind: 'deleted',
      vendorUserId: '118234567890123456789',
      value: { user_id: '118234567890123456789', deleted: { type: 'heart-rate-variability', intervals: [{ startTime: '2025-01-14T22:00:00Z', endTime: '2025-01-15T07:00:00Z' }] } },
    },
    'expected a deletion of the interval',
  );
  assert.is(sim.requests('google-health').length, 0, 'expected no request');
});

test("a Polar EXERCISE notification fetches its url's path on the configured host", async () => {
  const result = await hydrateNotification(hydration(), 'polar', json(documented.polarNotification));
  assert.equal(result, [{ kind: 'document', vendorUserId: '475', value: { user_id: '475', event: 'EXERCISE', document: documented.polarExercise } }], 'expected the exercise for user 475');
  assert.equal(sim.requests('polar').map((r) => r.path), ['/v3/exercises/aQlC83'], 'expected the path of the notification url');
});

test('a Polar ACTIVITY_SUMMARY notification’s date goes on beside the document it names', async () => {
  const summary = JSON.parse(readFileSync(new URL('../../fixtures/vendors/polar/api/activity-summary.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  sim.serve('polar', '/v3/users/activities/2025-01-15', summary);
  const notification = { event: 'ACTIVITY_SUMMARY', user_id: 475, date: '2025-01-15', timestamp: '2025-01-15T23:10:00.000Z', url: 'https://www.polaraccesslink.com/v3/users/activities/2025-01-15' };
  const result = await hydrateNotification(hydration(), 'polar', json(notification));
  assert.equal(result, [{ kind: 'document', vendorUserId: '475', value: { user_id: '475', event: 'ACTIVITY_SUMMARY', date: '2025-01-15', document: summary } }], 'expected the notification’s day carried, since the summary names its day only in UTC');
});

test('a Polar PING carries nothing to fetch and goes on for normalize to acknowledge', async () => {
  assert.equal(await hydrateNotification(hydration(), 'polar', json({ event: 'PING', timestamp: '2025-01-15T14:22:24.000Z' })), [{ kind: 'carries-data' }], 'expected the PING to pass');
  assert.is(sim.requests('polar').length, 0, 'expected no request');
});

test('a Withings weight notification fetches getmeas for its window; sleep fetches the sleep summary', async () => {
  const [weight] = await hydrateNotification(hydration(), 'withings', withingsForm(1));
  assert.equal(
    weight,
    { kind: 'document', vendorUserId: '38271645', value: { user_id: '38271645', appli: '1', startdate: '1736895600', enddate: '1736924400', document: documented.withingsMeasures['body'] } },
    'expected the measure groups of the window',
  );
  const [sleep] = await hydrateNotification(hydration(), 'withings', withingsForm(44));
  assert.equal(sleep?.kind === 'document' ? sleep.value['document'] : undefined, documented.withingsSleep['body'], 'expected the sleep summaries');
  const [measures, summaries] = sim.requests('withings').map((r) => new URL(r.path, 'http://sim'));
  assert.is(`${measures?.pathname}${measures?.search}`, '/measure?action=getmeas&category=1&startdate=1736895600&enddate=1736924400', 'expected getmeas for the window');
  assert.is(summaries?.pathname, '/v2/sleep', 'expected the sleep summaries next');
  assert.equal([summaries?.searchParams.get('action'), summaries?.searchParams.get('lastupdate')], ['getsummary', '1736895600'], 'expected getsummary since the window start');
  const fields = summaries?.searchParams.get('data_fields')?.split(',') ?? [];
  assert.ok(['sleep_score', 'deepsleepduration', 'hr_average', 'rmssd_start_avg'].every((field) => fields.includes(field)), `expected data_fields to request the mapped fields, got ${fields.join(',')}`);
});

test('Withings reports errors inside a 200: status 401 refreshes once, 601 pauses, an unknown appli is a dead letter', async () => {
  sim.script('withings', '/measure', [{ status: 200, body: { status: 401, body: {}, error: 'invalid_token' } }]);
  const refreshed = await hydrateNotification(hydration(), 'withings', withingsForm(4));
  assert.equal(refreshed.map((r) => r.kind), ['document'], 'expected success after one refresh');
  assert.equal([...tokens.refreshes.values()], [1], 'expected exactly one refresh');
  sim.script('withings', '/measure', [{ status: 200, body: { status: 601, body: {} } }]);
  const limited = await failure(hydrateNotification(hydration(), 'withings', withingsForm(1)));
  assert.instance(limited, DependencyUnavailableError, 'expected status 601 to pause');
  const unknown = await failure(hydrateNotification(hydration(), 'withings', withingsForm(54)));
  assert.is((unknown as RecordError).reason, 'unsupported_notification', 'expected ECG notifications to be dead letters');
});

test('a Garmin ping pulls its callbackURL with the user’s token and yields the push shape the Garmin mapping maps', async () => {
  const [pulled] = await hydrateNotification(hydration(), 'garmin', json(documented.garminPing));
  assert.ok(pulled?.kind === 'document', 'expected a document');
  assert.equal(
    sim.requests('garmin').map((r) => r.path),
    ['/wellness-api/rest/dailies?uploadStartTimeInSeconds=1736917200&uploadEndTimeInSeconds=1737003600'],
    'expected the callback path and query on the configured host',
  );
  const value = (pulled as { value: Record<string, unknown> }).value;
  assert.not.ok(JSON.stringify(value).includes('userAccessToken'), 'expected no access token on the hydrated record');
  const { events } = garminMapping.map(JSON.parse(json(value).toString()) as unknown, { receivedAt: Date.UTC(2025, 0, 15, 12) });
  assert.is(events.length, 1, 'expected one daily');
  assert.is(events[0]!.userId, garminUser, 'expected the ping user');
  assert.is(events[0]!.restingHeartRateBpm, 52, 'expected the daily resting heart rate');
});

test('a Garmin push carries its data; a ping item without userId is malformed', async () => {
  assert.equal(await hydrateNotification(hydration(), 'garmin', json({ dailies: documented.garminDailies })), [{ kind: 'carries-data' }], 'expected the push to pass');
  const error = await failure(hydrateNotification(hydration(), 'garmin', json({ dailies: [{ callbackURL: 'https://apis.garmin.com/wellness-api/rest/dailies' }] })));
  assert.is((error as RecordError).reason, 'malformed_notification', 'expected malformed_notification');
  for (const callbackURL of ['https://apis.garmin.com/partner-api/rest/user/registration', 'https://apis.garmin.com/wellness-api/rest/..%2F..%2Fpartner-api/rest/user/registration', 'https://apis.garmin.com/wellness-api/rest/%2e%2e/x']) {
    const elsewhere = await failure(hydrateNotification(hydration(), 'garmin', json({ dailies: [{ userId: garminUser, callbackURL }] })));
    assert.is((elsewhere as RecordError).reason, 'malformed_notification', `${callbackURL} is never fetched with the user’s token`);
  }
  assert.equal(sim.requests('garmin'), [], 'nothing fetched');
});

test.run();
