// What hydrate writes for Polar (src/hydrate/polar.ts) → events; Withings is in withings-mapping.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { polar } from '../../../src/vendors/polar/index.ts';
import { isoDurationSeconds } from '../../../src/vendors/polar/mapping.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

const api = (vendor: string, name: string) => JSON.parse(fixture(vendor, `api/${name}`).toString()) as Record<string, unknown>;
const polarDocument = (event: string, name: string) => json({ user_id: '475', event, document: api('polar', name) });

test('Polar: an exercise is an activity from its local start and offset, with duration, energy, distance and heart rates', () => {
  const event = mapOne(polar, polarDocument('EXERCISE', 'exercise.json'), 'application/json');
  assert.is(event.dataType, 'activity', 'expected an activity event');
  assert.is(event.userId, '475', 'expected the Polar user');
  assert.is(event.occurredAt, Date.parse('2025-01-15T12:00:00Z'), 'expected 13:00 local at UTC+60 min → 12:00 UTC');
  assert.is(event.deviceType, 'Polar Vantage V3', 'expected the device');
  assert.is(reading(event, 'duration'), 3725, 'expected PT1H2M5S as 3725 s');
  assert.is(reading(event, 'energy'), 612, 'expected calories in kcal');
  assert.is(reading(event, 'distance'), 10250.5, 'expected the distance in m');
  assert.is(reading(event, 'avg_heart_rate'), 148, 'expected the average heart rate');
  assert.is(reading(event, 'max_heart_rate'), 176, 'expected the maximum heart rate');
  assert.is(mapOne(polar, polarDocument('EXERCISE', 'exercise.json'), 'application/json').eventId, event.eventId, 'expected a stable id for the same exercise');
});

test('Polar: a sleep carries its score and stage durations in seconds; a day of heart rate samples is one heart_rate event', () => {
  const sleep = mapOne(polar, polarDocument('SLEEP', 'sleep.json'), 'application/json');
  assert.is(sleep.dataType, 'sleep', 'expected a sleep event');
  assert.is(sleep.sleepScore, 78, 'expected sleep_score');
  assert.is(sleep.occurredAt, Date.parse('2025-01-14T22:08:51Z'), 'expected the sleep start with its offset applied');
  assert.is(reading(sleep, 'deep_sleep_duration'), 4560, 'expected deep sleep in s');
  assert.is(reading(sleep, 'awake_duration'), 2910, 'expected the interruptions in s');
  const heart = mapOne(polar, polarDocument('CONTINUOUS_HEART_RATE', 'continuous-heart-rate.json'), 'application/json');
  assert.is(heart.dataType, 'heart_rate', 'expected a heart_rate event');
  assert.equal([reading(heart, 'min_heart_rate'), reading(heart, 'max_heart_rate'), reading(heart, 'heart_rate_samples')], [48, 63, 3], 'expected min, max and the sample count');
  assert.is(reading(heart, 'avg_heart_rate'), (52 + 48 + 63) / 3, 'expected the mean of the samples');
});

test('Polar: PING is acknowledged, a notification still needs hydration, an unknown kind is a dead letter naming it', () => {
  assert.is(mapValid(polar, json({ event: 'PING', timestamp: '2025-01-15T14:22:24Z' }), 'application/json').acknowledged, 'polar_ping', 'expected PING acknowledged');
  assert.is(mapError(polar, fixture('polar', 'exercise-notification.json'), 'application/json').reason, 'needs_hydration', 'expected a bare notification to need hydration');
  const unmapped = mapError(polar, json({ user_id: '475', event: 'NEW_KIND', document: {} }), 'application/json');
  assert.is(unmapped.reason, 'unmappable', 'expected an unknown kind unmappable');
  assert.match(unmapped.detail, 'NEW_KIND', 'expected the kind named');
  assert.is(mapError(polar, json({ user_id: '475', event: 'EXERCISE', document: { duration: 'PT1H' } }), 'application/json').reason, 'unmappable', 'expected an exercise without id or start unmappable');
  assert.equal([isoDurationSeconds('PT45M'), isoDurationSeconds('PT1.5S'), isoDurationSeconds('P1D'), isoDurationSeconds('PT')], [2700, 1.5, undefined, undefined], 'expected ISO durations read, others refused');
});

test('Polar: an activity summary is the day’s steps, energy, distance and active time; physical information is body settings in m and kg', () => {
  const day = mapOne(polar, polarDocument('ACTIVITY_SUMMARY', 'activity-summary.json'), 'application/json');
  assert.is(day.dataType, 'daily', 'expected a daily event');
  assert.is(day.occurredAt, Date.parse('2025-01-14T23:00:00Z'), 'expected the start, which Polar gives in UTC');
  assert.equal([reading(day, 'steps'), reading(day, 'energy'), reading(day, 'active_energy'), reading(day, 'distance')], [8823, 2500, 1500, 4590.53], 'expected steps, kcal and m');
  assert.equal([reading(day, 'active_duration'), reading(day, 'inactive_duration')], [11460, 66210], 'expected PT3H11M and PT18H23M30S in s');
  assert.is(mapOne(polar, polarDocument('ACTIVITY_SUMMARY', 'activity-summary.json'), 'application/json').eventId, day.eventId, 'expected a stable id for the same day');
  const body = mapOne(polar, polarDocument('PHYSICAL_INFORMATION', 'physical-info.json'), 'application/json');
  assert.is(body.dataType, 'body', 'expected a body event');
  assert.is(body.occurredAt, Date.parse('2025-01-15T07:30:00Z'), 'expected the last change');
  assert.equal([reading(body, 'weight'), reading(body, 'height'), reading(body, 'vo2_max')], [70.5, 1.75, 50], 'expected kg, 175 cm as 1.75 m, and VO2max');
  assert.is(reading(body, 'resting_heart_rate'), 60, 'expected the profile resting heart rate as a reading');
  assert.is(body.restingHeartRateBpm, null, 'expected no resting headline from a profile setting');
});

test('Polar: SleepWise predictions are acknowledged; documents without their time are dead letters saying so', () => {
  const alertness = mapValid(polar, json({ user_id: '475', event: 'SLEEP_WISE_ALERTNESS', document: { grade: 7 } }), 'application/json');
  assert.is(alertness.acknowledged, 'polar_sleep_wise_prediction', 'expected an alertness prediction acknowledged');
  assert.is(mapValid(polar, json({ user_id: '475', event: 'SLEEP_WISE_CIRCADIAN_BEDTIME', document: {} }), 'application/json').acknowledged, 'polar_sleep_wise_prediction', 'expected a bedtime prediction acknowledged');
  const noStart = mapError(polar, json({ user_id: '475', event: 'ACTIVITY_SUMMARY', document: { steps: 1 } }), 'application/json');
  assert.is(noStart.reason, 'unmappable', 'expected a summary without start unmappable');
  assert.match(noStart.detail, 'activity summary has no start_time', 'expected the missing field named');
  const noChange = mapError(polar, json({ user_id: '475', event: 'PHYSICAL_INFORMATION', document: { weight: 70 } }), 'application/json');
  assert.match(noChange.detail, 'physical information has no modified or created time', 'expected the missing field named');
});

test.run();
