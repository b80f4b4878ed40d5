// What hydrate writes for Polar (src/hydrate/polar.ts, `{user_id, event, document}`) → events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { polar } from '../../../src/vendors/polar/index.ts';
import { isoDurationSeconds } from '../../../src/vendors/polar/mapping.ts';
import { eventIdFor } from '../../../src/vendors/kit/event-id.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

const api = (name: string) => JSON.parse(fixture('polar', `api/${name}`).toString()) as Record<string, unknown>;
const hydrated = (event: string, document: unknown) => json({ user_id: '475', event, document });
const polarDocument = (event: string, name: string) => hydrated(event, api(name));
const mapDocument = (event: string, name: string) => mapOne(polar, polarDocument(event, name), 'application/json');

test('an exercise is an activity from its local start and offset, with duration, energy, distance, heart rates and energy sources', () => {
  const event = mapDocument('EXERCISE', 'exercise.json');
  assert.is(event.source, 'POLAR', 'expected source POLAR');
  assert.is(event.dataType, 'activity', 'expected an activity event');
  assert.is(event.userId, '475', 'expected the Polar user');
  assert.is(event.occurredAt, Date.parse('2025-01-15T12:00:00Z'), 'expected 13:00 local at UTC+60 min → 12:00 UTC');
  assert.is(event.deviceType, 'Polar Vantage V3', 'expected the device');
  assert.equal(event.readings.find((r) => r.metric === 'duration'), { metric: 'duration', value: 3725, unit: 's' }, 'expected PT1H2M5S as 3725 s');
  assert.equal([reading(event, 'energy'), reading(event, 'distance')], [612, 10250.5], 'expected kcal and m');
  assert.equal([reading(event, 'avg_heart_rate'), reading(event, 'max_heart_rate')], [148, 176], 'expected the average and maximum heart rate');
  assert.equal([reading(event, 'training_load'), reading(event, 'running_index')], [143.2, 51], 'expected the training load and running index');
  assert.equal([reading(event, 'fat_energy_share'), reading(event, 'carbohydrate_energy_share'), reading(event, 'protein_energy_share')], [31, 66, 3], 'expected the energy sources in percent');
  assert.is(mapDocument('EXERCISE', 'exercise.json').eventId, event.eventId, 'expected a stable id for the same exercise');
});

test('a sleep carries its score, stage and interruption durations in seconds, and its heart rate samples', () => {
  const sleep = mapDocument('SLEEP', 'sleep.json');
  assert.is(sleep.dataType, 'sleep', 'expected a sleep event');
  assert.is(sleep.sleepScore, 78, 'expected sleep_score');
  assert.is(sleep.occurredAt, Date.parse('2025-01-14T22:08:51Z'), 'expected the sleep start with its offset applied');
  assert.equal(
    ['light_sleep_duration', 'deep_sleep_duration', 'rem_sleep_duration', 'awake_duration', 'short_interruption_duration', 'long_interruption_duration'].map((m) => reading(sleep, m)),
    [14820, 4560, 6120, 2910, 1560, 1350],
    'expected the durations in s',
  );
  assert.is(reading(sleep, 'sleep_cycles'), 5, 'expected the sleep cycles');
  assert.equal([reading(sleep, 'avg_heart_rate'), reading(sleep, 'min_heart_rate'), reading(sleep, 'max_heart_rate')], [52.75, 49, 58], 'expected the five-minute heart rate samples summarised in bpm');
  assert.is(sleep.restingHeartRateBpm, null, 'expected no resting headline from sleep samples');
  assert.is(mapDocument('SLEEP', 'sleep.json').eventId, sleep.eventId, 'expected a stable id for the same night');
});

test('a day of continuous heart rate is one heart_rate event; a day without samples is acknowledged', () => {
  const heart = mapDocument('CONTINUOUS_HEART_RATE', 'continuous-heart-rate.json');
  assert.is(heart.dataType, 'heart_rate', 'expected a heart_rate event');
  assert.is(heart.occurredAt, Date.parse('2025-01-15T00:00:00Z'), 'expected the day at UTC midnight');
  assert.equal([reading(heart, 'min_heart_rate'), reading(heart, 'max_heart_rate'), reading(heart, 'heart_rate_samples')], [48, 63, 3], 'expected min, max and the sample count');
  assert.is(reading(heart, 'avg_heart_rate'), (52 + 48 + 63) / 3, 'expected the mean of the samples');
  assert.is(mapDocument('CONTINUOUS_HEART_RATE', 'continuous-heart-rate.json').eventId, heart.eventId, 'expected a stable id for the same day');
  const empty = mapValid(polar, hydrated('CONTINUOUS_HEART_RATE', { date: '2025-01-15', heart_rate_samples: [] }), 'application/json');
  assert.is(empty.acknowledged, 'polar_no_samples', 'expected a day without samples acknowledged');
});

test('activity summaries of two local days that begin on one UTC date are two events, each named by the notification’s day', () => {
  // A user in UTC−5 on the 10th, then in UTC+1 on the 11th: both days start on March 10 in UTC.
  const summary = (start: string, steps: number) => ({ ...api('activity-summary.json'), start_time: start, steps });
  const dayAt = (date: string, start: string, steps: number) => mapOne(polar, json({ user_id: '475', event: 'ACTIVITY_SUMMARY', date, document: summary(start, steps) }), 'application/json');
  const tenth = dayAt('2025-03-10', '2025-03-10T05:00:00', 9120);
  const eleventh = dayAt('2025-03-11', '2025-03-10T23:00:00', 4310);
  assert.is.not(eleventh.eventId, tenth.eventId, 'expected the second day not to take the first day’s eventId (and replace it)');
  assert.is(dayAt('2025-03-10', '2025-03-10T05:00:00', 9200).eventId, tenth.eventId, 'expected a later version of one day to keep its eventId');
  assert.is(tenth.eventId, eventIdFor(['POLAR', '475', 'daily', 'activity_summary', '2025-03-10']), 'expected the notification’s day as the identity');
  // Hydrated before the notification's date was carried: the identity falls back as it always did.
  const before = mapDocument('ACTIVITY_SUMMARY', 'activity-summary.json');
  assert.is(before.eventId, eventIdFor(['POLAR', '475', 'daily', 'activity_summary', '2025-01-14']), 'expected a document without the date still mapped, identified by its start’s UTC date');
});

test('an activity summary is the day’s steps, energy, distance and active time; physical information is body settings in m and kg', () => {
  const day = mapDocument('ACTIVITY_SUMMARY', 'activity-summary.json');
  assert.is(day.dataType, 'daily', 'expected a daily event');
  assert.is(day.occurredAt, Date.parse('2025-01-14T23:00:00Z'), 'expected the start, which Polar gives in UTC');
  assert.equal([reading(day, 'steps'), reading(day, 'energy'), reading(day, 'active_energy'), reading(day, 'distance')], [8823, 2500, 1500, 4590.53], 'expected steps, kcal and m');
  assert.equal([reading(day, 'active_duration'), reading(day, 'inactive_duration')], [11460, 66210], 'expected PT3H11M and PT18H23M30S in s');
  assert.is(mapDocument('ACTIVITY_SUMMARY', 'activity-summary.json').eventId, day.eventId, 'expected a stable id for the same day');
  const body = mapDocument('PHYSICAL_INFORMATION', 'physical-info.json');
  assert.is(body.dataType, 'body', 'expected a body event');
  assert.is(body.occurredAt, Date.parse('2025-01-15T07:30:00Z'), 'expected the last change');
  assert.equal([reading(body, 'weight'), reading(body, 'height'), reading(body, 'vo2_max')], [70.5, 1.75, 50], 'expected kg, 175 cm as 1.75 m, and VO2max');
  assert.is(body.readings.find((r) => r.metric === 'vo2_max')?.unit, 'ml_per_kg_min', 'expected the VO2max unit other vendors use');
  assert.is(reading(body, 'resting_heart_rate'), 60, 'expected the profile resting heart rate as a reading');
  assert.is(body.restingHeartRateBpm, null, 'expected no resting headline from a profile setting');
});

test('PING and SleepWise predictions are acknowledged; a notification still needs hydration; an unknown kind is a dead letter naming it', () => {
  assert.is(mapValid(polar, json({ event: 'PING', timestamp: '2025-01-15T14:22:24Z' }), 'application/json').acknowledged, 'polar_ping', 'expected PING acknowledged');
  assert.is(mapValid(polar, hydrated('SLEEP_WISE_ALERTNESS', { grade: 7 }), 'application/json').acknowledged, 'polar_sleep_wise_prediction', 'expected an alertness prediction acknowledged');
  assert.is(mapValid(polar, hydrated('SLEEP_WISE_CIRCADIAN_BEDTIME', {}), 'application/json').acknowledged, 'polar_sleep_wise_prediction', 'expected a bedtime prediction acknowledged');
  assert.is(mapError(polar, fixture('polar', 'exercise-notification.json'), 'application/json').reason, 'needs_hydration', 'expected a bare notification to need hydration');
  const unmapped = mapError(polar, hydrated('NEW_KIND', {}), 'application/json');
  assert.is(unmapped.reason, 'unmappable', 'expected an unknown kind unmappable');
  assert.match(unmapped.detail, 'NEW_KIND', 'expected the kind named');
});

test('a value that overflows to Infinity dead-letters the document instead of reaching the table as null', () => {
  const exercise = { ...api('exercise.json'), duration: `PT${'9'.repeat(400)}H` };
  const error = mapError(polar, hydrated('EXERCISE', exercise), 'application/json');
  assert.is(error.reason, 'unmappable', 'expected an infinite duration unmappable');
  assert.is(error.detail, 'polar activity event has a duration reading that is not a finite number', 'expected the detail to name the reading');
});

test('documents without their id or time are dead letters saying which', () => {
  const cases: [string, unknown, string][] = [
    ['EXERCISE', { start_time: '2025-01-15T13:00:00', duration: 'PT1H' }, 'exercise has no id'],
    ['EXERCISE', { id: 'x', duration: 'PT1H' }, 'exercise has no start_time'],
    ['SLEEP', { sleep_start_time: '2025-01-14T23:08:51+01:00' }, 'sleep has no date'],
    ['SLEEP', { date: '2025-01-15' }, 'sleep has no sleep_start_time'],
    ['CONTINUOUS_HEART_RATE', { date: 'today', heart_rate_samples: [{ heart_rate: 50 }] }, 'continuous heart rate date is not a date'],
    ['ACTIVITY_SUMMARY', { steps: 1 }, 'activity summary has no start_time'],
    ['PHYSICAL_INFORMATION', { weight: 70 }, 'physical information has no modified or created time'],
  ];
  for (const [event, document, detail] of cases) {
    const error = mapError(polar, hydrated(event, document), 'application/json');
    assert.is(error.reason, 'unmappable', `expected ${event} without its field unmappable`);
    assert.match(error.detail, detail, `expected "${detail}"`);
  }
  assert.is(mapError(polar, json({ event: 'EXERCISE', document: {} }), 'application/json').reason, 'unmappable', 'expected a document without user unmappable');
  assert.equal([isoDurationSeconds('PT45M'), isoDurationSeconds('PT1.5S'), isoDurationSeconds('P1D'), isoDurationSeconds('PT')], [2700, 1.5, undefined, undefined], 'expected ISO durations read, others refused');
});

test.run();
