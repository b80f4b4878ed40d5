import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toEventRow } from '../../../src/sink/index.ts';
import { sampleEnriched } from '../../support/enriched-event.ts';

const position = { topic: 'biometric.enriched', partition: 3, offset: '42', schemaId: 11 };

test('row carries ids, times as epoch milliseconds, priority and the source position', () => {
  const enriched = { ...sampleEnriched({ occurredAt: Date.UTC(2024, 0, 2, 3, 4, 5) }), priority: 'medium' as const };
  const row = toEventRow(enriched, position);
  assert.is(row.eventId, enriched.event.eventId, 'expected event_id from the event');
  assert.is(row.occurredAt, Date.UTC(2024, 0, 2, 3, 4, 5), 'expected occurred_at as epoch milliseconds (the INSERT converts)');
  assert.is(row.priority, 'medium', 'expected the priority');
  assert.equal([row.srcTopic, row.srcPartition, row.srcOffset, row.schemaId], ['biometric.enriched', 3, '42', 11], 'expected the source position');
});

test('metrics keeps present headline values and readings, drops nulls', () => {
  const row = toEventRow(sampleEnriched({ hrvRmssdMs: 31.5, sleepScore: null, recoveryScore: 0 }), position);
  const metrics = JSON.parse(JSON.stringify(row.metrics));
  assert.is(metrics.hrvRmssdMs, 31.5, 'expected hrv in metrics');
  assert.is(metrics.recoveryScore, 0, 'expected a zero value to be kept');
  assert.not.ok('sleepScore' in metrics, 'expected null headline values left out of the JSON sent');
  assert.equal(metrics.readings, [{ metric: 'steps', value: 1200, unit: 'count' }], 'expected the readings');
});

test('triggers are kept as the array the jsonb column stores', () => {
  assert.equal(toEventRow(sampleEnriched(), position).triggers, [], 'expected an empty array without triggers');
});

test('a row serialises to the JSON the writer sends, with jsonb columns as nested values', () => {
  const row = toEventRow(sampleEnriched({ hrvRmssdMs: 20 }), position);
  const sent = JSON.parse(JSON.stringify([row]))[0];
  assert.is(sent.metrics.hrvRmssdMs, 20, 'expected metrics as an object, not a JSON string');
  assert.equal(sent.triggers, [], 'expected triggers as an array, not a JSON string');
  assert.is(sent.srcOffset, '42', 'expected the offset as a string (bigint-safe)');
});

test.run();
