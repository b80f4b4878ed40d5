import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { terra } from '../../../src/vendors/terra/index.ts';
import { fixture, json, mapError, mapOne, mapValid, reading } from './mapping-fixtures.ts';

test('sleep: HRV comes from heart_rate_data.summary.avg_hrv_rmssd, scores and temperature map to headlines', () => {
  const event = mapOne(terra, fixture('terra', 'sleep.json'));
  assert.is(event.source, 'TERRA', 'expected source TERRA');
  assert.is(event.dataType, 'sleep', 'expected dataType sleep');
  assert.is(event.userId, 'a9f1e2d3-4c5b-4a69-8b7c-0d1e2f3a4b5c', 'expected the Terra user id');
  assert.is(event.deviceType, 'OURA', 'expected the provider as deviceType');
  assert.is(event.hrvRmssdMs, 22.7, 'expected avg_hrv_rmssd as hrvRmssdMs');
  assert.is(event.restingHeartRateBpm, 49, 'expected resting_hr_bpm');
  assert.is(event.sleepScore, 67, 'expected scores.sleep');
  assert.is(event.temperatureDeltaC, 1.12, 'expected temperature_data.delta');
  assert.is(event.readinessScore, 61, 'expected readiness_data.readiness');
  assert.is(event.occurredAt, Date.parse('2025-01-14T22:41:30Z'), 'expected metadata.start_time');
  assert.is(reading(event, 'hrv_sdnn'), 41.3, 'expected SDNN as a reading, not a headline');
  assert.is(reading(event, 'sleep_efficiency'), 88.4, 'expected sleep efficiency reading');
  assert.is(reading(event, 'deep_sleep_duration'), 5040, 'expected deep sleep seconds');
});

test('sleep: eventId derives from summary_id, so re-sent and re-timed copies collapse', () => {
  const original = mapOne(terra, fixture('terra', 'sleep.json'));
  const doc = JSON.parse(fixture('terra', 'sleep.json').toString());
  doc.data[0].metadata.end_time = '2025-01-15T07:05:00.000000+00:00';
  doc.data[0].scores.sleep = 70;
  const updated = mapOne(terra, json(doc));
  assert.is(updated.eventId, original.eventId, 'expected the same id for the same summary_id');
  doc.data[0].metadata.summary_id = 'sleep-other';
  assert.is.not(mapOne(terra, json(doc)).eventId, original.eventId, 'expected another summary to get another id');
});

test('daily: one event per data[] item, keyed by start+end, scores and stress mapped', () => {
  const { events } = mapValid(terra, fixture('terra', 'daily.json'));
  assert.is(events.length, 2, 'expected two daily events');
  const [first, second] = events;
  assert.is(first!.recoveryScore, 62, 'expected scores.recovery');
  assert.is(first!.sleepScore, null, 'expected a null sleep score to stay null');
  assert.is(first!.stressLevel, 34, 'expected stress_data.avg_stress_level');
  assert.is(first!.hrvRmssdMs, 36.5, 'expected daily HRV from the heart summary');
  assert.is(reading(first!, 'steps'), 11234, 'expected steps');
  assert.is.not(first!.eventId, second!.eventId, 'expected different days to get different ids');
});

test('body: HRV and resting heart rate come from heart_data.heart_rate_data.summary; the weigh-in is an event at its time', () => {
  const { events } = mapValid(terra, fixture('terra', 'body.json'));
  assert.equal(events.map((e) => e.dataType), ['body', 'body'], 'expected the item’s event and its weigh-in’s');
  const [event, weighIn] = events;
  assert.is(event!.hrvRmssdMs, 44.1, 'expected body HRV from heart_data');
  assert.is(event!.restingHeartRateBpm, 53, 'expected body resting HR from heart_data');
  assert.is(reading(event!, 'spo2'), 97.5, 'expected oxygen saturation');
  assert.is(event!.occurredAt, Date.parse('2025-01-15T07:02:00Z'), 'expected the item at its start');
  assert.equal([reading(weighIn!, 'weight'), reading(weighIn!, 'bmi'), reading(weighIn!, 'body_fat')], [72.4, 22.9, 18.2], 'expected the weight, BMI and body fat of the measurement');
  assert.is(weighIn!.occurredAt, Date.parse('2025-01-15T07:02:30Z'), 'expected the weigh-in at its measurement_time');
});

test('body: every weigh-in of an item is an event at its own time, stable when sent again in another window', () => {
  const { events: all } = mapValid(terra, fixture('terra', 'body-two-weigh-ins.json'));
  // The item's own event first, without the weigh-ins' readings: its earlier versions carried the first one.
  assert.equal(all.map((e) => reading(e, 'weight')), [undefined, 72.4, 73.1], 'expected the item, then both weigh-ins, the second not dropped');
  const events = all.slice(1);
  assert.equal(events.map((e) => e.occurredAt), [Date.parse('2025-01-15T07:02:30Z'), Date.parse('2025-01-15T21:48:10Z')], 'expected each at its measurement_time');
  assert.is.not(events[0]!.eventId, events[1]!.eventId, 'expected two weigh-ins to be two events');
  const doc = JSON.parse(fixture('terra', 'body-two-weigh-ins.json').toString());
  doc.data[0].metadata = { start_time: '2025-01-15T21:00:00.000000+00:00', end_time: '2025-01-15T22:00:00.000000+00:00' };
  doc.data[0].measurements_data.measurements.shift();
  const again = mapValid(terra, json(doc)).events.find((e) => reading(e, 'weight') !== undefined);
  assert.is(again?.eventId, events[1]!.eventId, 'expected the evening weigh-in sent again in another window to keep its eventId');
  doc.data[0].measurements_data.measurements = [{ height_cm: 181 }];
  const unmapped = mapOne(terra, json(doc));
  assert.equal([unmapped.occurredAt, unmapped.readings], [Date.parse('2025-01-15T21:00:00Z'), []], 'expected an item whose measurement has no mapped value kept as its own event, as before');
});

test('activity: readings for steps, distance, calories', () => {
  const event = mapOne(terra, fixture('terra', 'activity.json'));
  assert.is(event.dataType, 'activity', 'expected dataType activity');
  assert.is(reading(event, 'steps'), 6934, 'expected steps from distance_data.summary');
  assert.is(reading(event, 'avg_heart_rate'), 148, 'expected avg heart rate');
  assert.is(event.hrvRmssdMs, null, 'expected no HRV on an activity without one');
});

test("the seeds' inline body shape maps hrv_data.rmssd, heart_rate_data.avg_hr_bpm and body_data.temperature_delta", () => {
  const event = mapOne(terra, fixture('terra', 'seed-body-inline.json'));
  assert.is(event.userId, 'terra-seed-user-77', 'expected user.user_id');
  assert.is(event.hrvRmssdMs, 20, 'expected hrv_data.rmssd');
  assert.is(event.temperatureDeltaC, 2, 'expected body_data.temperature_delta');
  assert.is(reading(event, 'avg_heart_rate'), 65, 'expected avg_hr_bpm as a reading');
  assert.is(event.occurredAt, Date.parse('2025-01-15T08:00:00Z'), 'expected the item timestamp');
});

test('non-data events are acknowledged with no events', () => {
  const result = mapValid(terra, fixture('terra', 'auth.json'));
  assert.equal(result.events, [], 'expected no events from auth');
  assert.is(result.acknowledged, 'terra_auth', 'expected auth acknowledged');
  for (const type of ['deauth', 'processing', 'rate_limit_hit', 'large_request_sending', 'connection_error']) {
    assert.is(terra.mapping.map({ type, user: { user_id: 'u' } }, { receivedAt: 1 }).acknowledged, `terra_${type}`, `expected ${type} acknowledged`);
  }
});

test('empty data arrays are acknowledged, not dead-lettered', () => {
  const result = mapValid(terra, json({ type: 'sleep', user: { user_id: 'u' }, data: [] }));
  assert.is(result.acknowledged, 'terra_sleep_empty', 'expected an empty sleep push acknowledged');
});

test('bad input is a RecordError with a clear reason', () => {
  assert.is(mapError(terra, Buffer.from('{"type":')).reason, 'malformed_body', 'expected malformed_body for broken JSON');
  assert.is(mapError(terra, null).reason, 'malformed_body', 'expected malformed_body for an empty record');
  assert.is(mapError(terra, json({ type: 'mystery', user: { user_id: 'u' }, data: [] })).reason, 'unmappable', 'expected unknown types unmappable');
  assert.is(mapError(terra, json({ type: 'sleep', data: [{}] })).reason, 'unmappable', 'expected a missing user unmappable');
  const noTime = mapError(terra, json({ type: 'sleep', user: { user_id: 'u' }, data: [{ metadata: {} }] }));
  assert.is(noTime.reason, 'unmappable', 'expected a missing start_time unmappable');
  assert.match(noTime.detail, 'start_time', 'expected the detail to name the missing field');
  assert.not.match(noTime.detail, /\bu\b/, 'expected the detail to carry no user id');
});

test.run();
