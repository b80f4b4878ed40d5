import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oura } from '../../../src/vendors/oura/index.ts';
import { fixture, json, mapError, mapOne } from './mapping-fixtures.ts';

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

test('a hydrated daily_sleep maps its score and the long sleep period’s HRV and lowest heart rate', () => {
  const periods = (apiDocument('sleep-of-day.json')['data'] as unknown[]);
  const hydrated = { user_id: 'oura-user-1042', data_type: 'daily_sleep', documents: { daily_sleep: [apiDocument('daily_sleep.json')], sleep: periods } };
  const event = mapOne(oura, json(hydrated));
  assert.is(event.userId, 'oura-user-1042', 'expected the envelope’s user');
  assert.is(event.dataType, 'sleep', 'expected daily_sleep as a sleep event');
  assert.is(event.sleepScore, 64, 'expected the daily_sleep score');
  assert.is(event.hrvRmssdMs, 38, 'expected average_hrv of the long sleep');
  assert.is(event.restingHeartRateBpm, 49, 'expected lowest_heart_rate of the long sleep');
  assert.is(event.occurredAt, Date.parse('2025-01-15T00:00:00+00:00'), 'expected the document’s timestamp');
  assert.is(mapOne(oura, json(hydrated)).eventId, event.eventId, 'expected a stable id for the same document');
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
