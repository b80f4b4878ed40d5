import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { healthkit } from '../../../src/vendors/healthkit/index.ts';
import { fixture, json, mapError, mapValid, reading } from './mapping-fixtures.ts';

test('a batch yields one event per sample', () => {
  const { events } = mapValid(healthkit, fixture('healthkit', 'sample-batch.json'));
  assert.is(events.length, 4, 'expected four events from four samples');
  assert.ok(events.every((e) => e.source === 'APPLE_HEALTHKIT' && e.userId === 'hk-user-5521'), 'expected source and user on each');
  assert.ok(events.every((e) => e.deviceType === 'Apple Watch Series 9'), 'expected the device on each');
  assert.is(new Set(events.map((e) => e.eventId)).size, 4, 'expected distinct ids per sample');
});

test('SDNN stays a reading and never fills hrvRmssdMs', () => {
  const [hrv] = mapValid(healthkit, fixture('healthkit', 'sample-batch.json')).events;
  assert.is(hrv!.dataType, 'hrv', 'expected dataType hrv');
  assert.is(hrv!.hrvRmssdMs, null, 'expected no RMSSD from an SDNN sample');
  assert.is(reading(hrv!, 'hrv_sdnn'), 48.2, 'expected the SDNN reading');
});

test('resting heart rate is a headline; sleep stages become durations; unknown types keep their value', () => {
  const events = mapValid(healthkit, fixture('healthkit', 'sample-batch.json')).events;
  assert.is(events[1]!.restingHeartRateBpm, 54, 'expected resting heart rate headline');
  assert.is(events[2]!.dataType, 'sleep', 'expected the sleep sample as sleep');
  assert.is(reading(events[2]!, 'sleep_deep_duration'), 45 * 60, 'expected 45 min of deep sleep in seconds');
  const unknown = mapValid(
    healthkit,
    json({ user_id: 'u', samples: [{ type: 'HKQuantityTypeIdentifierEnvironmentalAudioExposure', value: 71, unit: 'dBASPL', start: 1736900000000, uuid: 'X' }] }),
  ).events[0]!;
  assert.equal(unknown.readings, [{ metric: 'environmental_audio_exposure', value: 71, unit: 'dBASPL' }], 'expected an unknown identifier kept as a reading');
});

test('eventId follows the sample uuid: a re-uploaded sample collapses, order does not matter', () => {
  const batch = JSON.parse(fixture('healthkit', 'sample-batch.json').toString());
  const first = mapValid(healthkit, json(batch)).events;
  batch.samples.reverse();
  const again = mapValid(healthkit, json(batch)).events;
  assert.equal(again.map((e) => e.eventId).sort(), first.map((e) => e.eventId).sort(), 'expected the same ids in any order');
});

test('a sample timed in fractional seconds maps to whole milliseconds instead of failing its batch', () => {
  const batch = { user_id: 'u', samples: [{ type: 'HKQuantityTypeIdentifierHeartRate', value: 61, unit: 'count/min', start: 1736900000.123456, end: 1736900000.5, uuid: 'A' }] };
  const [event] = mapValid(healthkit, json(batch)).events;
  assert.is(event!.occurredAt, 1736900000123, 'expected the start rounded to the millisecond, a valid Avro long');
});

/** One sample of `type` with `value` in HealthKit's `unit` (omitted when undefined), mapped alone. */
function sampleBatch(type: string, value: number, unit: string | undefined) {
  return json({ user_id: 'u', samples: [{ type: `HKQuantityTypeIdentifier${type}`, value, ...(unit === undefined ? {} : { unit }), start: 1736900000000, uuid: 'S' }] });
}

test('a sample is converted from its HealthKit unit into the rule\'s', () => {
  const cases: [type: string, value: number, unit: string, expected: number, bridgeUnit: string][] = [
    ['OxygenSaturation', 0.97, '%', 97, 'percent'],
    ['OxygenSaturation', 0.57, '%', 57, 'percent'],
    ['BodyMass', 154, 'lb', 69.85322498, 'kg'],
    ['BodyMass', 11, 'st', 69.85322498, 'kg'],
    ['BodyMass', 2464, 'oz', 69.85322498, 'kg'],
    ['BodyMass', 72300, 'g', 72.3, 'kg'],
    ['BodyTemperature', 98.6, 'degF', 37, 'celsius'],
    ['BodyTemperature', 310.15, 'K', 37, 'celsius'],
    ['AppleSleepingWristTemperature', 96.8, 'degF', 36, 'celsius'],
    ['HeartRate', 1.1, 'count/s', 66, 'bpm'],
    ['RestingHeartRate', 54, 'count/min', 54, 'bpm'],
    ['WalkingHeartRateAverage', 1.5, 'count/s', 90, 'bpm'],
    ['RespiratoryRate', 0.25, 'count/s', 15, 'breaths_per_min'],
    ['RespiratoryRate', 15, 'count/min', 15, 'breaths_per_min'],
    ['HeartRateVariabilitySDNN', 0.0482, 's', 48.2, 'ms'],
    ['ActiveEnergyBurned', 418.4, 'kJ', 100, 'kcal'],
    ['ActiveEnergyBurned', 418400, 'J', 100, 'kcal'],
    ['ActiveEnergyBurned', 100, 'Cal', 100, 'kcal'],
    ['ActiveEnergyBurned', 100000, 'cal', 100, 'kcal'],
    ['DistanceWalkingRunning', 3.1, 'mi', 4988.9664, 'm'],
    ['DistanceWalkingRunning', 4.2, 'km', 4200, 'm'],
    ['DistanceWalkingRunning', 1000, 'ft', 304.8, 'm'],
    ['DistanceWalkingRunning', 100, 'yd', 91.44, 'm'],
    ['DistanceWalkingRunning', 100, 'in', 2.54, 'm'],
    ['DistanceWalkingRunning', 250, 'cm', 2.5, 'm'],
    ['VO2Max', 45.2, 'mL/min·kg', 45.2, 'ml_per_kg_min'],
    ['VO2Max', 45.2, 'ml/kg*min', 45.2, 'ml_per_kg_min'],
  ];
  for (const [type, value, unit, expected, bridgeUnit] of cases) {
    const event = mapValid(healthkit, sampleBatch(type, value, unit)).events[0]!;
    assert.is(event.readings[0]!.unit, bridgeUnit, `expected ${type} in ${bridgeUnit}`);
    assert.is(event.readings[0]!.value, expected, `expected ${value} ${unit} of ${type} as ${expected} ${bridgeUnit}`);
  }
  const rested = mapValid(healthkit, sampleBatch('RestingHeartRate', 0.9, 'count/s')).events[0]!;
  assert.is(rested.restingHeartRateBpm, 54, 'expected the headline converted as the reading is');
});

test('a value already in the rule\'s unit or its HealthKit twin is kept as it is', () => {
  for (const [type, value, unit] of [['BodyMass', 72.3, 'kg'], ['OxygenSaturation', 97, 'percent'], ['BodyTemperature', 36.6, 'degC'], ['StepCount', 812, 'count'], ['HeartRateVariabilitySDNN', 48.2, 'ms']] as const) {
    assert.is(mapValid(healthkit, sampleBatch(type, value, unit)).events[0]!.readings[0]!.value, value, `expected ${value} ${unit} of ${type} unchanged`);
  }
});

test('a known type in a unit that does not convert dead-letters the batch, naming the type and the unit', () => {
  const cases: [type: string, unit: string | undefined, detail: string][] = [
    ['BodyMass', 'lbs', 'sample 0 (HKQuantityTypeIdentifierBodyMass) has unit "lbs", which does not convert to kg (accepted: kg, g, lb, oz, st)'],
    ['OxygenSaturation', 'count', 'sample 0 (HKQuantityTypeIdentifierOxygenSaturation) has unit "count", which does not convert to percent'],
    ['BodyTemperature', 'degR', 'sample 0 (HKQuantityTypeIdentifierBodyTemperature) has unit "degR", which does not convert to celsius'],
    ['HeartRate', undefined, 'sample 0 (HKQuantityTypeIdentifierHeartRate) has no unit, which does not convert to bpm'],
  ];
  for (const [type, unit, detail] of cases) {
    const error = mapError(healthkit, sampleBatch(type, 70, unit));
    assert.is(error.reason, 'unmappable', `expected ${type} in ${unit ?? 'no unit'} unmappable`);
    assert.match(error.detail, detail, 'expected the detail to name the type, the unit and what it should be');
  }
});

test('an empty batch is acknowledged; a broken sample dead-letters the whole batch', () => {
  assert.is(mapValid(healthkit, json({ user_id: 'u', samples: [] })).acknowledged, 'healthkit_empty_batch', 'expected empty batch acknowledged');
  const error = mapError(healthkit, json({ user_id: 'u', samples: [{ type: 'HKQuantityTypeIdentifierHeartRate', value: 60, start: 1 }] }));
  assert.is(error.reason, 'unmappable', 'expected a sample without uuid unmappable');
  assert.match(error.detail, 'sample 0 has no uuid', 'expected the detail to point at the sample');
  assert.is(mapError(healthkit, json({ samples: [] })).reason, 'unmappable', 'expected a batch without user unmappable');
});

test.run();
