import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whoop } from '../../../src/vendors/whoop/index.ts';
import { fixture, json, mapError, mapOne, reading } from './mapping-fixtures.ts';

test('a webhook notification carries only ids: needs_hydration', () => {
  const error = mapError(whoop, fixture('whoop', 'notification-recovery-updated.json'));
  assert.is(error.reason, 'needs_hydration', 'expected needs_hydration');
  assert.match(error.detail, 'recovery.updated', 'expected the detail to name the type');
});

test('a hydrated recovery maps recovery score, resting HR and RMSSD', () => {
  const event = mapOne(whoop, fixture('whoop', 'recovery-document.json'));
  assert.is(event.dataType, 'recovery', 'expected recovery');
  assert.is(event.userId, '10129', 'expected the numeric user id as a string');
  assert.is(event.recoveryScore, 44, 'expected recovery_score');
  assert.is(event.hrvRmssdMs, 31.813562, 'expected hrv_rmssd_milli');
  assert.is(event.restingHeartRateBpm, 64, 'expected resting_heart_rate');
  assert.is(reading(event, 'skin_temperature'), 33.7, 'expected skin temperature as a reading (absolute, not a delta)');
  assert.is(event.temperatureDeltaC, null, 'expected no temperature delta from an absolute value');
});

test('a hydrated sleep maps the performance score and stage durations', () => {
  const event = mapOne(whoop, fixture('whoop', 'sleep-document.json'));
  assert.is(event.dataType, 'sleep', 'expected sleep');
  assert.is(event.sleepScore, 98, 'expected sleep_performance_percentage');
  assert.is(reading(event, 'deep_sleep_duration'), 6630370, 'expected slow wave sleep ms');
});

test('an unknown shape is unmappable', () => {
  assert.is(mapError(whoop, json({ user_id: 1 })).reason, 'unmappable', 'expected unmappable');
});

test.run();
