import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { garmin } from '../../../src/vendors/garmin/index.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

test('dailies: one event per summary, per user, resting HR and stress as headlines', () => {
  const { events } = mapValid(garmin, fixture('garmin', 'dailies-push.json'));
  assert.is(events.length, 2, 'expected two dailies');
  assert.equal(events.map((e) => e.userId), ['4aacafe82427c251df9c9592d0c06768', '7bd0e2c1a9f3b4d5e6f708192a3b4c5d'], 'expected each item keeps its own user');
  assert.is(events[0]!.restingHeartRateBpm, 52, 'expected restingHeartRateInBeatsPerMinute');
  assert.is(events[0]!.stressLevel, 43, 'expected averageStressLevel');
  assert.is(events[0]!.occurredAt, 1_736_917_200_000, 'expected startTimeInSeconds in ms');
  assert.is(reading(events[0]!, 'steps'), 4210, 'expected steps');
});

test('sleeps: durations as readings and the overall score as sleepScore', () => {
  const event = mapOne(garmin, fixture('garmin', 'sleeps-push.json'));
  assert.is(event.dataType, 'sleep', 'expected sleep');
  assert.is(event.sleepScore, 68, 'expected overallSleepScore.value');
  assert.is(reading(event, 'deep_sleep_duration'), 5220, 'expected deep sleep seconds');
  assert.is(reading(event, 'rem_sleep_duration'), 5940, 'expected REM seconds');
});

test('hrv: lastNightAvg is the RMSSD headline', () => {
  const event = mapOne(garmin, fixture('garmin', 'hrv-push.json'));
  assert.is(event.dataType, 'hrv', 'expected hrv');
  assert.is(event.hrvRmssdMs, 39, 'expected lastNightAvg');
  assert.is(reading(event, 'hrv_5min_high'), 61, 'expected lastNight5MinHigh');
});

test('eventId follows summaryId', () => {
  const push = JSON.parse(fixture('garmin', 'hrv-push.json').toString());
  const id = mapOne(garmin, json(push)).eventId;
  push.hrv[0].lastNightAvg = 41;
  assert.is(mapOne(garmin, json(push)).eventId, id, 'expected an updated summary to keep its id');
  push.hrv[0].summaryId = 'other';
  assert.is.not(mapOne(garmin, json(push)).eventId, id, 'expected another summary to get another id');
});

test('ping mode needs hydration; unknown or empty pushes are unmappable', () => {
  assert.is(mapError(garmin, fixture('garmin', 'ping.json')).reason, 'needs_hydration', 'expected a callbackURL ping to need hydration');
  const unknown = mapError(garmin, json({ moveiq: [{ userId: 'u', summaryId: 's' }] }));
  assert.is(unknown.reason, 'unmappable', 'expected unknown summary types unmappable');
  assert.match(unknown.detail, 'moveiq', 'expected the detail to name the type');
  assert.is(mapError(garmin, json({})).reason, 'unmappable', 'expected an empty push unmappable');
  assert.is(mapError(garmin, json({ dailies: [{ userId: 'u' }] })).reason, 'unmappable', 'expected a summary without summaryId unmappable');
});

test.run();
