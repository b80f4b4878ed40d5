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

test.run();
