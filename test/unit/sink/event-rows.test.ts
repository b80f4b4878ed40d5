import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toEventRow } from '../../../src/sink/index.ts';
import { sampleEnriched } from '../../support/enriched-event.ts';

const position = { topic: 'biometric.enriched', partition: 3, offset: '42', schemaId: 11 };

test('row carries ids, times as ISO strings, priority and the source position', () => {
  const enriched = { ...sampleEnriched({ occurredAt: Date.UTC(2024, 0, 2, 3, 4, 5) }), priority: 'medium' as const };
  const row = toEventRow(enriched, position);
  assert.is(row.eventId, enriched.event.eventId, 'expected event_id from the event');
  assert.is(row.occurredAt, '2024-01-02T03:04:05.000Z', 'expected occurred_at as an ISO timestamp');
  assert.is(row.priority, 'medium', 'expected the priority');
  assert.equal([row.srcTopic, row.srcPartition, row.srcOffset, row.schemaId], ['biometric.enriched', 3, '42', 11], 'expected the source position');
});

test('metrics keeps present headline values and readings, drops nulls', () => {
  const row = toEventRow(sampleEnriched({ hrvRmssdMs: 31.5, sleepScore: null, recoveryScore: 0 }), position);
  const metrics = JSON.parse(row.metrics);
  assert.is(metrics.hrvRmssdMs, 31.5, 'expected hrv in metrics');
  assert.is(metrics.recoveryScore, 0, 'expected a zero value to be kept');
  assert.not.ok('sleepScore' in metrics, 'expected null headline values left out');
  assert.equal(metrics.readings, [{ metric: 'steps', value: 1200, unit: 'count' }], 'expected the readings');
});

test('triggers serialise as a JSON array', () => {
  assert.is(toEventRow(sampleEnriched(), position).triggers, '[]', 'expected an empty JSON array without triggers');
});

test.run();
