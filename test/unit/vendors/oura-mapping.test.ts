import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oura } from '../../../src/vendors/oura/index.ts';
import { fixture, json, mapError, mapOne, reading } from './mapping-fixtures.ts';

test('a webhook notification carries only ids: needs_hydration', () => {
  const error = mapError(oura, fixture('oura', 'notification.json'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'daily_sleep', 'expected the detail to name the data type');
});

test("the seeds' inline document maps hrv_data.rmssd, sleep.score and recovery.score", () => {
  const event = mapOne(oura, fixture('oura', 'seed-inline.json'));
  assert.is(event.source, 'OURA', 'expected source OURA');
  assert.is(event.userId, 'oura-user-1042', 'expected user_id');
  assert.is(event.hrvRmssdMs, 23.4, 'expected hrv_data.rmssd');
  assert.is(event.sleepScore, 64, 'expected sleep.score');
  assert.is(event.recoveryScore, 58, 'expected recovery.score');
  assert.is(event.occurredAt, Date.parse('2025-01-15T06:30:00Z'), 'expected the timestamp');
  assert.is(mapOne(oura, fixture('oura', 'seed-inline.json')).eventId, event.eventId, 'expected a stable id for the same document');
});

test('anything else is unmappable or malformed', () => {
  assert.is(mapError(oura, json({ hello: 'world' })).reason, 'unmappable', 'expected an unknown shape unmappable');
  assert.is(mapError(oura, json({ hrv_data: { rmssd: 20 }, timestamp: 1 })).reason, 'unmappable', 'expected a document without user unmappable');
  assert.is(mapError(oura, Buffer.from('[1,2]')).reason, 'malformed_body', 'expected a JSON array malformed');
});

const apiDocument = (name: string) => JSON.parse(fixture('oura', `api/${name}`).toString()) as Record<string, unknown>;

const periodOf = (changes: Record<string, unknown> = {}) => ({ ...(apiDocument('sleep-of-day.json')['data'] as Record<string, unknown>[])[0], ...changes });
const sleepEnvelope = (period: unknown) => json({ user_id: 'oura-user-1042', data_type: 'sleep', documents: { sleep: [period] } });

test('a hydrated daily_sleep maps its score alone, also from a value that still holds the day’s sleep periods', () => {
  const periods = (apiDocument('sleep-of-day.json')['data'] as unknown[]);
  const hydrated = { user_id: 'oura-user-1042', data_type: 'daily_sleep', documents: { daily_sleep: [apiDocument('daily_sleep.json')], sleep: periods } };
  const event = mapOne(oura, json(hydrated));
  assert.is(event.userId, 'oura-user-1042', 'expected the envelope’s user');
  assert.is(event.dataType, 'sleep', 'expected daily_sleep as a sleep event');
  assert.is(event.sleepScore, 64, 'expected the daily_sleep score');
  assert.is(event.hrvRmssdMs, null, 'expected no HRV: the night’s sleep period carries it');
  assert.is(event.restingHeartRateBpm, null, 'expected no resting heart rate: the night’s sleep period carries it');
  assert.is(event.occurredAt, Date.parse('2025-01-15T00:00:00+00:00'), 'expected the document’s timestamp');
  assert.is(mapOne(oura, json(hydrated)).eventId, event.eventId, 'expected a stable id for the same document');
});

test('the long_sleep period is the night: HRV and lowest heart rate as headlines, dated by its bedtime_start', () => {
  const night = mapOne(oura, sleepEnvelope(periodOf()));
  assert.is(night.dataType, 'sleep', 'expected a sleep event');
  assert.is(night.hrvRmssdMs, 38, 'expected average_hrv as hrvRmssdMs');
  assert.is(night.restingHeartRateBpm, 49, 'expected lowest_heart_rate as restingHeartRateBpm');
  assert.is(night.occurredAt, Date.parse('2025-01-14T23:17:55+01:00'), 'expected the start of the sleep, as occurredAt means');
  assert.equal(night.readings, [], 'expected the night’s values as headlines, not readings');
});

test('one night, its daily_sleep and its sleep period, is judged once: only one event carries its HRV and resting heart rate', () => {
  const daily = mapOne(oura, json({ user_id: 'oura-user-1042', data_type: 'daily_sleep', documents: { daily_sleep: [apiDocument('daily_sleep.json')], sleep: [periodOf({ average_hrv: 21 })] } }));
  const period = mapOne(oura, sleepEnvelope(periodOf({ average_hrv: 21 })));
  const withHrv = [daily, period].filter((event) => event.hrvRmssdMs !== null);
  const withResting = [daily, period].filter((event) => event.restingHeartRateBpm !== null);
  assert.equal(withHrv.map((event) => event.eventId), [period.eventId], 'expected HRV 21 (URGENT) on the sleep period alone, not twice under two eventIds');
  assert.equal(withResting.map((event) => event.eventId), [period.eventId], 'expected the resting heart rate on the sleep period alone');
});

test('a nap (late_nap, rest, sleep) is not the night: its HRV and lowest heart rate are readings', () => {
  for (const type of ['late_nap', 'rest', 'sleep']) {
    const nap = mapOne(oura, sleepEnvelope(periodOf({ type, average_hrv: 19, lowest_heart_rate: 62 })));
    assert.is(nap.hrvRmssdMs, null, `expected no hrvRmssdMs for a ${type} period, which the rules would judge as the night`);
    assert.is(nap.restingHeartRateBpm, null, `expected no restingHeartRateBpm for a ${type} period`);
    assert.equal([reading(nap, 'hrv_rmssd'), reading(nap, 'min_heart_rate')], [19, 62], `expected the ${type} period’s HRV (ms) and lowest heart rate (bpm) as readings`);
  }
  const error = mapError(oura, sleepEnvelope(periodOf({ bedtime_start: undefined })));
  assert.is(error.reason, 'unmappable', 'expected a period without bedtime_start unmappable');
  assert.match(error.detail, 'sleep document has no bedtime_start', 'expected the missing start named');
});

test('a hydrated daily_readiness maps its score and temperature deviation', () => {
  const hydrated = { user_id: 'oura-user-1042', data_type: 'daily_readiness', documents: { daily_readiness: [apiDocument('daily_readiness.json')] } };
  const event = mapOne(oura, json(hydrated));
  assert.is(event.dataType, 'readiness', 'expected a readiness event');
  assert.is(event.readinessScore, 66, 'expected the readiness score');
  assert.is(event.temperatureDeltaC, -0.2, 'expected temperature_deviation');
  assert.is(event.sleepScore, null, 'expected no sleep score on a readiness event');
});

test.run();
