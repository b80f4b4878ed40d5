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

test('an empty batch is acknowledged; a broken sample dead-letters the whole batch', () => {
  assert.is(mapValid(healthkit, json({ user_id: 'u', samples: [] })).acknowledged, 'healthkit_empty_batch', 'expected empty batch acknowledged');
  const error = mapError(healthkit, json({ user_id: 'u', samples: [{ type: 'HKQuantityTypeIdentifierHeartRate', value: 60, start: 1 }] }));
  assert.is(error.reason, 'unmappable', 'expected a sample without uuid unmappable');
  assert.match(error.detail, 'sample 0 has no uuid', 'expected the detail to point at the sample');
  assert.is(mapError(healthkit, json({ samples: [] })).reason, 'unmappable', 'expected a batch without user unmappable');
});

test.run();
