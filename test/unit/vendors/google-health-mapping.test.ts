// What hydrate writes for Google Health (src/hydrate/google-health.ts, `{user_id, data_type, data_points}`) → events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { googleHealth } from '../../../src/vendors/google-health/index.ts';
import { durationSeconds } from '../../../src/vendors/google-health/mapping.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

const user = '118234567890123456789';
const points = (name: string) => (JSON.parse(fixture('google-health', `api/${name}.json`).toString()) as { dataPoints: Record<string, unknown>[] }).dataPoints;
const listed = (dataType: string, data_points: unknown[] = points(dataType)) => json({ user_id: user, data_type: dataType, data_points });

test('a raw notification needs hydration; a verification POST is acknowledged', () => {
  const error = mapError(googleHealth, fixture('google-health', 'notification.json'), 'application/json');
  assert.is(error.reason, 'needs_hydration', 'expected an id-only notification to need hydration');
  assert.match(error.detail, 'heart-rate-variability', 'expected the detail to name the data type');
  assert.is(mapValid(googleHealth, json({ type: 'verification' }), 'application/json').acknowledged, 'google_health_verification', 'expected a verification acknowledged');
});

test('an HRV sample carries RMSSD and SDNN as readings, not the night’s headline, identified by its name', () => {
  const hrv = mapOne(googleHealth, listed('heart-rate-variability'), 'application/json');
  assert.is(hrv.source, 'GOOGLE_HEALTH', 'expected source GOOGLE_HEALTH');
  assert.is(hrv.userId, user, 'expected the Google Health user');
  assert.is(hrv.dataType, 'hrv', 'expected an hrv event');
  assert.is(hrv.hrvRmssdMs, null, 'expected no hrvRmssdMs: a sample is not the night’s HRV the rules and baselines judge');
  assert.is(reading(hrv, 'hrv_rmssd_sample'), 42.7, 'expected the sample’s RMSSD as a reading in ms');
  assert.is(reading(hrv, 'hrv_sdnn'), 55.1, 'expected SDNN as a reading, never as RMSSD');
  assert.is(hrv.occurredAt, Date.parse('2025-01-15T03:12:00Z'), 'expected the sample time');
  const renamed = [{ ...points('heart-rate-variability')[0], name: 'users/me/dataTypes/heart-rate-variability/dataPoints/other' }];
  assert.is.not(mapOne(googleHealth, listed('heart-rate-variability', renamed), 'application/json').eventId, hrv.eventId, 'expected another name to be another event');
});

test('a night of HRV samples sets no headline; the daily HRV of the night does, on its date', () => {
  const [sample] = points('heart-rate-variability');
  const night = Array.from({ length: 96 }, (_, n) => ({
    heartRateVariability: { sampleTime: { physicalTime: new Date(Date.parse('2025-01-14T23:00:00Z') + n * 300_000).toISOString() }, rootMeanSquareOfSuccessiveDifferencesMilliseconds: 18 + (n % 30) },
    dataSource: sample!['dataSource'] ?? {},
  }));
  const { events } = mapValid(googleHealth, listed('heart-rate-variability', night), 'application/json');
  assert.is(events.length, 96, 'expected one event per five-minute sample');
  assert.ok(events.every((event) => event.hrvRmssdMs === null), 'expected no sample to carry hrvRmssdMs, though most are below the rules’ thresholds');
  const daily = mapOne(googleHealth, listed('daily-heart-rate-variability'), 'application/json');
  assert.is(daily.dataType, 'hrv', 'expected an hrv event');
  assert.is(daily.hrvRmssdMs, 38.4, 'expected averageHeartRateVariabilityMilliseconds, the night’s RMSSD, as hrvRmssdMs');
  assert.equal(
    [reading(daily, 'hrv_rmssd_deep_sleep'), reading(daily, 'non_rem_heart_rate'), reading(daily, 'hrv_entropy')],
    [44.2, 54, 2.91],
    'expected deep-sleep RMSSD, non-REM heart rate ("54" read as 54) and entropy as readings',
  );
  assert.is(daily.occurredAt, Date.UTC(2025, 0, 15), 'expected the civil date at UTC midnight');
  assert.is(mapOne(googleHealth, listed('daily-heart-rate-variability'), 'application/json').eventId, daily.eventId, 'expected the same nameless day served again to keep its eventId');
});

test('daily resting heart rate, served without a name and with int64 as a string, is the resting headline on its date', () => {
  const resting = mapOne(googleHealth, listed('daily-resting-heart-rate'), 'application/json');
  assert.is(resting.dataType, 'heart_rate', 'expected a heart_rate event');
  assert.is(resting.restingHeartRateBpm, 57, 'expected beatsPerMinute "57" read as 57');
  assert.is(resting.occurredAt, Date.UTC(2025, 0, 15), 'expected the civil date at UTC midnight');
  assert.is(resting.deviceType, 'Pixel Watch 3', 'expected the data source device');
  assert.is(mapOne(googleHealth, listed('daily-resting-heart-rate'), 'application/json').eventId, resting.eventId, 'expected the same nameless point served again to keep its eventId');
});

test('nameless heart rate samples of one minute from two devices are two events, each stable on replay', () => {
  const { events } = mapValid(googleHealth, listed('heart-rate'), 'application/json');
  assert.equal(events.map((e) => reading(e, 'heart_rate')), [52, 54], 'expected one heart_rate reading per sample, in bpm');
  assert.equal(events.map((e) => e.dataType), ['heart_rate', 'heart_rate'], 'expected heart_rate events');
  assert.is.not(events[0]!.eventId, events[1]!.eventId, 'expected distinct ids for distinct data sources at the same time');
  const again = mapValid(googleHealth, listed('heart-rate'), 'application/json').events;
  assert.equal(again.map((e) => e.eventId), events.map((e) => e.eventId), 'expected the same ids when the list is served again');
});

test('sleep temperature derivations give the nightly deviation from baseline as temperatureDeltaC', () => {
  const night = mapOne(googleHealth, listed('daily-sleep-temperature-derivations'), 'application/json');
  assert.is(night.dataType, 'daily', 'expected a daily event');
  assert.ok(Math.abs(night.temperatureDeltaC! - 0.4) < 1e-9, 'expected 34.6 − 34.2 °C as temperatureDeltaC');
  assert.is(reading(night, 'skin_temperature'), 34.6, 'expected the nightly skin temperature in °C');
});

test('weight in grams becomes kg; steps of an interval start at the interval', () => {
  const weight = mapOne(googleHealth, listed('weight'), 'application/json');
  assert.is(weight.dataType, 'body', 'expected a body event');
  assert.is(reading(weight, 'weight'), 72.345, 'expected 72345 g as 72.345 kg');
  const steps = mapOne(googleHealth, listed('steps'), 'application/json');
  assert.is(steps.dataType, 'activity', 'expected an activity event');
  assert.is(reading(steps, 'steps'), 112, 'expected count "112" as 112 steps');
  assert.is(steps.occurredAt, Date.parse('2025-01-15T08:01:00Z'), 'expected the interval start');
});

test('a sleep session carries its summary and stage minutes as seconds, identified by its name', () => {
  const sleep = mapOne(googleHealth, listed('sleep'), 'application/json');
  assert.is(sleep.dataType, 'sleep', 'expected a sleep event');
  assert.is(sleep.occurredAt, Date.parse('2025-01-14T22:41:00Z'), 'expected the session start');
  assert.equal(
    ['time_in_bed', 'sleep_duration', 'awake_duration', 'sleep_latency', 'wakeup_latency', 'light_sleep_duration', 'deep_sleep_duration', 'rem_sleep_duration'].map((m) => reading(sleep, m)),
    [472, 421, 51, 14, 3, 232, 87, 102].map((minutes) => minutes * 60),
    'expected int64 minutes as seconds',
  );
  assert.is(sleep.readings.find((r) => r.metric === 'deep_sleep_duration')?.unit, 's', 'expected seconds as the unit');
  assert.is(reading(sleep, 'restless_duration'), undefined, 'expected no restless stage in STAGES sleep');
  assert.is(sleep.sleepScore, null, 'expected no sleep score: Google Health serves none');
  assert.is(mapOne(googleHealth, listed('sleep'), 'application/json').eventId, sleep.eventId, 'expected the same session to keep its eventId');
});

test('an exercise is an activity with its length, active time and summary metrics in the bridge units', () => {
  const run = mapOne(googleHealth, listed('exercise'), 'application/json');
  assert.is(run.dataType, 'activity', 'expected an activity event');
  assert.is(run.occurredAt, Date.parse('2025-01-15T17:02:00Z'), 'expected the exercise start');
  assert.equal([reading(run, 'duration'), reading(run, 'active_duration')], [2790, 2670], 'expected 46.5 min of interval and "2670s" active, in s');
  assert.equal([reading(run, 'energy'), reading(run, 'distance'), reading(run, 'steps'), reading(run, 'avg_heart_rate')], [498.5, 8012, 7214, 151], 'expected kcal, mm as m, steps and bpm');
  assert.ok(Math.abs(reading(run, 'avg_speed')! - 3.0007) < 1e-9, 'expected mm/s as m/s');
  assert.equal([reading(run, 'elevation_gain'), reading(run, 'active_zone_minutes'), reading(run, 'vo2_max')], [42, 61, 48.3], 'expected elevation in m, zone minutes and VO2max');
  assert.is(mapOne(googleHealth, listed('exercise'), 'application/json').eventId, run.eventId, 'expected the same exercise to keep its eventId');
});

test('altitude gain, sleep respiratory rate and run VO2max each map to their reading', () => {
  const climb = mapOne(googleHealth, listed('altitude'), 'application/json');
  assert.equal([climb.dataType, reading(climb, 'elevation_gain')], ['activity', 3.048], 'expected "3048" mm of gain as 3.048 m');
  const breathing = mapOne(googleHealth, listed('respiratory-rate-sleep-summary'), 'application/json');
  assert.is(breathing.dataType, 'sleep', 'expected a sleep event');
  assert.equal(
    ['respiratory_rate', 'deep_sleep_respiratory_rate', 'light_sleep_respiratory_rate', 'rem_sleep_respiratory_rate'].map((m) => reading(breathing, m)),
    [14.6, 13.9, 14.8, 15.4],
    'expected breaths per minute over the night and per stage',
  );
  const vo2 = mapOne(googleHealth, listed('run-vo2-max'), 'application/json');
  assert.equal(vo2.readings, [{ metric: 'vo2_max', value: 48.3, unit: 'ml_per_kg_min' }], 'expected VO2max in ml/kg/min');
  assert.is(vo2.dataType, 'body', 'expected a body event');
});

test('an empty list is acknowledged; an unmapped type, a point without time or value is a dead letter saying so', () => {
  assert.is(mapValid(googleHealth, listed('steps', []), 'application/json').acknowledged, 'google_health_no_data_points', 'expected an empty list acknowledged');
  const unmapped = mapError(googleHealth, listed('hydration-log', [{ name: 'n', hydrationLog: { interval: {} } }]), 'application/json');
  assert.is(unmapped.reason, 'unmappable', 'expected an unmapped type unmappable');
  assert.match(unmapped.detail, 'hydration-log data points are not mapped', 'expected the data type named');
  const sleepless = mapError(googleHealth, listed('sleep', [{ name: 'n', sleep: { interval: { startTime: '2025-01-14T22:41:00Z', endTime: '2025-01-15T06:33:00Z' } } }]), 'application/json');
  assert.match(sleepless.detail, 'sleep data point has no value', 'expected a sleep without its summary named as valueless');
  const timeless = mapError(googleHealth, listed('heart-rate', [{ heartRate: { beatsPerMinute: '60' } }]), 'application/json');
  assert.is(timeless.reason, 'unmappable', 'expected a point without time unmappable');
  assert.match(timeless.detail, 'heartRate data point has no sampleTime', 'expected the missing time named');
  const valueless = mapError(googleHealth, listed('heart-rate', [{ heartRate: { sampleTime: { physicalTime: '2025-01-15T03:12:00Z' } } }]), 'application/json');
  assert.match(valueless.detail, 'heartRate data point has no value', 'expected the missing value named');
  assert.is(mapError(googleHealth, listed('steps', ['oops']), 'application/json').reason, 'unmappable', 'expected a point that is not an object unmappable');
  assert.is(mapError(googleHealth, json({ data_type: 'steps', data_points: [] }), 'application/json').reason, 'unmappable', 'expected a list without user unmappable');
});

test('a protobuf Duration is read in seconds, anything else is not', () => {
  assert.equal([durationSeconds('2670s'), durationSeconds('0.5s'), durationSeconds('PT1H'), durationSeconds(60)], [2670, 0.5, undefined, undefined], 'expected "<n>s" strings only');
});

test.run();
