import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { whoop } from '../../../src/vendors/whoop/index.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

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

test('a nap is a sleep event without the sleep score the sleep rules judge: its performance is a reading', () => {
  const night = JSON.parse(fixture('whoop', 'sleep-document.json').toString('utf8')) as { score: object };
  const nap = mapOne(whoop, json({ ...night, nap: true, score: { ...night.score, sleep_performance_percentage: 31 } }));
  assert.is(nap.dataType, 'sleep', 'expected a sleep');
  assert.is(nap.sleepScore, null, 'expected no sleepScore: a short nap would fire RECOVERY_INTERVENTION as a bad night');
  assert.is(reading(nap, 'sleep_performance'), 31, 'expected its performance kept as a reading');
  assert.is(reading(nap, 'deep_sleep_duration'), 6630370, 'expected its stages as the night’s');
});

test('a hydrated workout maps to an activity event with strain and heart rates, never a sleep', () => {
  const event = mapOne(whoop, fixture('whoop', 'api/workout.json'));
  assert.is(event.dataType, 'activity', 'expected a workout to be an activity event');
  assert.is(event.occurredAt, Date.parse('2025-01-15T02:25:44.774Z'), 'expected the workout start');
  assert.is(reading(event, 'strain'), 8.2463, 'expected the strain');
  assert.is(reading(event, 'avg_heart_rate'), 123, 'expected average_heart_rate');
  assert.is(reading(event, 'max_heart_rate'), 146, 'expected max_heart_rate');
  assert.is(event.sleepScore, null, 'expected no sleep score on a workout');
  assert.is(reading(event, 'deep_sleep_duration'), undefined, 'expected no sleep stages on a workout');
});

test('a sleep and a workout with the same id are different events', () => {
  const sleep = mapOne(whoop, fixture('whoop', 'sleep-document.json'));
  const workout = mapOne(whoop, fixture('whoop', 'api/workout.json'));
  assert.is.not(workout.eventId, sleep.eventId, 'expected distinct event ids for a sleep and a workout sharing an id');
});

test('a scored document that is neither a sleep (no stage_summary) nor a workout (no strain) is unmappable', () => {
  const scoredOnly = json({ id: 'x', user_id: 1, start: '2025-01-15T02:25:44.774Z', score: { respiratory_rate: 16 } });
  assert.is(mapError(whoop, scoredOnly).reason, 'unmappable', 'expected unmappable rather than an empty sleep event');
});

test('a recovery, sleep or workout not scored yet (PENDING_SCORE) or unscorable is acknowledged, not dead-lettered', () => {
  for (const document of ['recovery-document.json', 'sleep-document.json', 'api/workout.json']) {
    const { score: _score, ...unscored } = JSON.parse(fixture('whoop', document).toString()) as Record<string, unknown>;
    for (const state of ['PENDING_SCORE', 'UNSCORABLE']) {
      const result = mapValid(whoop, json({ ...unscored, score_state: state }));
      assert.equal(result, { events: [], acknowledged: 'whoop_not_scored' }, `expected a ${state} ${document} acknowledged as whoop_not_scored, with no event`);
    }
  }
  assert.is(mapError(whoop, json({ ...(JSON.parse(fixture('whoop', 'sleep-document.json').toString()) as object), score: undefined })).reason, 'unmappable', 'expected a SCORED sleep without its score still unmappable');
});

test('an unknown shape is unmappable', () => {
  assert.is(mapError(whoop, json({ user_id: 1 })).reason, 'unmappable', 'expected unmappable');
});

test.run();
