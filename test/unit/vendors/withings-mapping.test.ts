// What hydrate writes for Withings (src/hydrate/withings.ts, `{user_id, appli, startdate, enddate, document}`) → events.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withings } from '../../../src/vendors/withings/index.ts';
import { realValue } from '../../../src/vendors/withings/mapping.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

const user = '38271645';
const body = (name: string) => (JSON.parse(fixture('withings', `api/${name}`).toString()) as { body: Record<string, unknown> }).body;
const hydrated = (appli: string, document: unknown) => json({ user_id: user, appli, startdate: '1736895600', enddate: '1736924400', document });
const withingsDocument = (appli: string, name: string) => hydrated(appli, body(name));

test('a measure group is a body event with value × 10^unit per measure type', () => {
  const event = mapOne(withings, withingsDocument('1', 'getmeas.json'), 'application/json');
  assert.is(event.source, 'WITHINGS', 'expected source WITHINGS');
  assert.is(event.dataType, 'body', 'expected a body event');
  assert.is(event.userId, user, 'expected the Withings user');
  assert.is(event.occurredAt, 1736920000 * 1000, 'expected the group date');
  assert.equal(event.readings.find((r) => r.metric === 'weight'), { metric: 'weight', value: 72.345, unit: 'kg' }, 'expected 72345 × 10^-3 kg');
  assert.equal(event.readings.find((r) => r.metric === 'heart_rate'), { metric: 'heart_rate', value: 61, unit: 'bpm' }, 'expected the heart pulse in bpm');
  assert.is(event.deviceType, 'Body Cardio', 'expected the model');
  assert.is(mapOne(withings, withingsDocument('1', 'getmeas.json'), 'application/json').eventId, event.eventId, 'expected a stable id for the same measure group');
});

test('a measure group dated in fractional seconds maps to whole milliseconds instead of failing', () => {
  const document = { measuregrps: [{ grpid: 7, date: 1736920000.123456, category: 1, measures: [{ type: 1, value: 72345, unit: -3 }] }] };
  assert.is(mapOne(withings, hydrated('1', document), 'application/json').occurredAt, 1736920000123, 'expected the date in whole milliseconds, a valid Avro long');
});

test('value × 10^unit stays the decimal Withings meant', () => {
  assert.equal([realValue(7004, -3), realValue(3675, -2), realValue(61, 0), realValue(7, 2)], [7.004, 36.75, 61, 700], 'expected exact decimals (7004 × 0.001 would be 7.0040000000000004)');
});

test('value × 10^unit out of a double\'s range is no value', () => {
  assert.equal(
    [realValue(7, 400), realValue(0, 400), realValue(7, -400), realValue(0, -3)],
    [undefined, undefined, undefined, 0],
    'expected Infinity, NaN and a measure turned into 0 refused, and a measured 0 kept',
  );
});

test('a measure whose unit puts its value out of range dead-letters the document, naming the type and unit', () => {
  for (const [value, unit] of [[72345, 400], [0, 400], [72345, -400]] as const) {
    const document = { measuregrps: [{ grpid: 7, date: 1736920000, category: 1, measures: [{ type: 1, value, unit }] }] };
    const error = mapError(withings, hydrated('1', document), 'application/json');
    assert.is(error.reason, 'unmappable', `expected value ${value} with unit ${unit} unmappable, not stored as null`);
    assert.match(error.detail, `withings measure type 1 has unit ${unit}`, 'expected the detail to name the measure type and its unit');
  }
});

test('blood pressure and temperature groups map each their own event; unknown types and objectives are left out', () => {
  const { events } = mapValid(withings, withingsDocument('4', 'getmeas-blood-pressure.json'), 'application/json');
  assert.is(events.length, 2, 'expected the pressure and temperature groups, not the category 2 objective');
  const [pressure, temperature] = events;
  assert.equal(
    pressure!.readings,
    [
      { metric: 'diastolic_blood_pressure', value: 78, unit: 'mmHg' },
      { metric: 'systolic_blood_pressure', value: 121, unit: 'mmHg' },
      { metric: 'heart_rate', value: 64, unit: 'bpm' },
    ],
    'expected types 9, 10 and 11, and no reading for the atrial fibrillation result (type 130)',
  );
  assert.is(pressure!.occurredAt, 1736921800 * 1000, 'expected the pressure group date');
  assert.is(reading(temperature!, 'body_temperature'), 36.75, 'expected 3675 × 10^-2 °C of type 71');
  assert.is.not(pressure!.eventId, temperature!.eventId, 'expected one id per grpid');
});

test('a sleep summary is a sleep event with its score, durations in seconds, heart and breathing rates', () => {
  const sleep = mapOne(withings, withingsDocument('44', 'sleep-getsummary.json'), 'application/json');
  assert.is(sleep.dataType, 'sleep', 'expected a sleep event');
  assert.is(sleep.sleepScore, 82, 'expected sleep_score');
  assert.is(sleep.occurredAt, 1736895600 * 1000, 'expected the night start');
  assert.equal(
    ['time_in_bed', 'sleep_duration', 'light_sleep_duration', 'deep_sleep_duration', 'rem_sleep_duration', 'awake_duration', 'sleep_latency', 'wakeup_latency', 'waso'].map((m) => reading(sleep, m)),
    [28800, 25500, 13800, 6300, 5400, 1380, 540, 300, 840],
    'expected the durations in s',
  );
  assert.is(sleep.readings.find((r) => r.metric === 'deep_sleep_duration')?.unit, 's', 'expected seconds as the unit');
  assert.ok(Math.abs(reading(sleep, 'sleep_efficiency')! - (25500 / 28800) * 100) < 1e-9, 'expected sleep efficiency in percent from time asleep over time in bed');
  assert.equal([reading(sleep, 'avg_heart_rate'), reading(sleep, 'min_heart_rate'), reading(sleep, 'max_heart_rate')], [56, 48, 71], 'expected heart rates in bpm');
  assert.equal([reading(sleep, 'respiratory_rate'), reading(sleep, 'min_respiratory_rate'), reading(sleep, 'max_respiratory_rate')], [14, 11, 17], 'expected breathing rates');
  assert.equal([reading(sleep, 'hrv_rmssd_start'), reading(sleep, 'hrv_rmssd_end')], [48, 61], 'expected the start and end RMSSD averages as readings');
  assert.is(sleep.hrvRmssdMs, null, 'expected no RMSSD headline: Withings gives no whole-night average');
  assert.equal([reading(sleep, 'snoring_duration'), reading(sleep, 'snoring_episodes'), reading(sleep, 'breathing_disturbances')], [420, 3, 6], 'expected snoring and breathing disturbances');
  assert.is(mapOne(withings, withingsDocument('44', 'sleep-getsummary.json'), 'application/json').eventId, sleep.eventId, 'expected a stable id for the same night');
});

test('a night from another source has only asleepduration and the deprecated latency names: both still read', () => {
  const night = { id: 7, startdate: 1736895600, data: { asleepduration: 25000, durationtosleep: 600 } };
  const sleep = mapOne(withings, hydrated('44', { series: [night] }), 'application/json');
  assert.equal([reading(sleep, 'sleep_duration'), reading(sleep, 'sleep_latency')], [25000, 600], 'expected asleepduration and durationtosleep as the fallbacks');
  assert.is(reading(sleep, 'sleep_efficiency'), undefined, 'expected no efficiency without time in bed');
});

test('an activity day has steps, floors, energy, activity durations and heart rates', () => {
  const day = mapOne(withings, withingsDocument('16', 'getactivity.json'), 'application/json');
  assert.is(day.dataType, 'activity', 'expected an activity event');
  assert.is(day.occurredAt, Date.parse('2025-01-15T00:00:00Z'), 'expected the day');
  assert.equal([reading(day, 'steps'), reading(day, 'distance'), reading(day, 'floors')], [9123, 6870.4, 12], 'expected steps, m and floors');
  assert.equal([reading(day, 'active_energy'), reading(day, 'energy')], [412.3, 2398.7], 'expected active and total kcal');
  assert.equal([reading(day, 'soft_activity_duration'), reading(day, 'moderate_activity_duration'), reading(day, 'intense_activity_duration'), reading(day, 'active_duration')], [3400, 1200, 300, 1500], 'expected activity durations in s');
  assert.equal([reading(day, 'avg_heart_rate'), reading(day, 'max_heart_rate')], [71, 142], 'expected heart rates in bpm');
  assert.is(mapOne(withings, withingsDocument('16', 'getactivity.json'), 'application/json').eventId, day.eventId, 'expected a stable id for the same day');
});

test('an empty window is acknowledged; objectives (category 2) are not measures; the raw notification needs hydration', () => {
  assert.is(mapValid(withings, hydrated('44', { series: [] }), 'application/json').acknowledged, 'withings_no_sleep', 'expected an empty sleep window acknowledged');
  assert.is(mapValid(withings, hydrated('16', {}), 'application/json').acknowledged, 'withings_no_activity', 'expected a window without activities acknowledged');
  const goals = hydrated('1', { measuregrps: [{ grpid: 1, date: 1736920000, category: 2, measures: [{ value: 70, type: 1, unit: 0 }] }] });
  assert.is(mapValid(withings, goals, 'application/json').acknowledged, 'withings_no_measures', 'expected an objective not taken for a measure');
  assert.is(mapError(withings, fixture('withings', 'notification.form'), 'application/x-www-form-urlencoded').reason, 'needs_hydration', 'expected the form notification to need hydration');
});

test('malformed documents are dead letters naming what is missing', () => {
  const noGroupId = mapError(withings, hydrated('1', { measuregrps: [{ date: 1736920000, category: 1, measures: [{ value: 70, type: 1, unit: 0 }] }] }), 'application/json');
  assert.is(noGroupId.reason, 'unmappable', 'expected a measure group without grpid unmappable');
  assert.match(noGroupId.detail, 'measure group has no grpid', 'expected the missing field named');
  const noStart = mapError(withings, hydrated('44', { series: [{ id: 1, data: { sleep_score: 80 } }] }), 'application/json');
  assert.match(noStart.detail, 'sleep summary has no startdate', 'expected the missing start named');
  const badDay = mapError(withings, hydrated('16', { activities: [{ date: 'yesterday', steps: 1 }] }), 'application/json');
  assert.match(badDay.detail, 'activity date is not a date', 'expected the bad date named');
  const unmapped = mapError(withings, hydrated('54', {}), 'application/json');
  assert.match(unmapped.detail, 'appli 54 documents are not mapped', 'expected the category named');
  assert.is(mapError(withings, json({ appli: '1', document: {} }), 'application/json').reason, 'unmappable', 'expected a document without user unmappable');
});

test.run();
