import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toEventRow, type EventRow } from '../../../src/sink/index.ts';
import { latestVersions } from '../../../src/sink/event-versions.ts';
import { sampleEnriched } from '../../support/enriched-event.ts';

const t = Date.UTC(2025, 0, 15, 7, 0, 0);

function version(eventId: string, receivedAt: number, hrvRmssdMs: number, offset: number): EventRow {
  return toEventRow(sampleEnriched({ eventId, receivedAt, hrvRmssdMs }), { topic: 'biometric.enriched', partition: 0, offset: String(offset), schemaId: 1 });
}

function deletion(row: EventRow, offset: number, deletedAt: number): EventRow {
  return { ...row, metrics: { ...row.metrics, readings: [] }, srcOffset: String(offset), deletedAt };
}

const summary = (rows: readonly EventRow[]) => rows.map((row) => [row.eventId, row.srcOffset, row.deletedAt]);

test('a chunk without a repeated event is staged as it is', () => {
  const rows = [version('a', t, 20, 0), deletion(version('b', t, 30, 1), 1, t + 5)];
  assert.is(latestVersions(rows), rows, 'expected the same array back, nothing copied');
});

test('of several upserts of one event the one received last stays, in the place the event first appeared', () => {
  const rows = [version('a', t + 2_000, 40, 0), version('b', t, 10, 1), version('a', t + 1_000, 30, 2), version('a', t + 3_000, 50, 3), version('a', t + 2_500, 45, 4)];
  assert.equal(summary(latestVersions(rows)), [['a', '3', null], ['b', '1', null]], 'expected a at offset 3 (received last), then b');
});

test('of upserts received at the same moment the first stays, as the table keeps the stored one', () => {
  const rows = [version('a', t, 20, 0), version('a', t, 25, 1)];
  assert.equal(summary(latestVersions(rows)), [['a', '0', null]], 'expected the first of two equal receipts');
});

test('a deletion marks the latest upsert before it deleted; an upsert after it is left out, as the table refuses it', () => {
  const before = [deletion(version('a', t, 20, 0), 0, t + 9_000), version('a', t + 1_000, 30, 1), deletion(version('a', t, 20, 0), 2, t + 9_500)];
  assert.equal(summary(latestVersions(before)), [['a', '0', t + 9_000]], 'expected the first deletion alone: the upsert after it does not bring values back');
  const after = [version('a', t, 20, 0), version('a', t + 1_000, 30, 1), deletion(version('a', t, 20, 0), 2, t + 9_000)];
  assert.equal(summary(latestVersions(after)), [['a', '1', t + 9_000]], 'expected the latest upsert marked deleted');
});

test('an event the chunk only deletes keeps its first deletion', () => {
  const rows = [deletion(version('a', t, 20, 0), 0, t + 5), deletion(version('a', t, 20, 0), 1, t + 6)];
  assert.equal(summary(latestVersions(rows)), [['a', '0', t + 5]], 'expected the first deletion alone');
});

test.run();
