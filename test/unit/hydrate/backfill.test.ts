import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backfillChunks, backfillRecord, backfillVendors, backfillWindow, readBackfillRequest } from '../../../src/hydrate/backfill.ts';
import { RecordError } from '../../../src/streams/errors.ts';

const reasonOf = (value: Buffer | null): string => {
  try {
    readBackfillRequest(value);
    return 'no error';
  } catch (error) {
    return (error as RecordError).reason;
  }
};

test('the window is the last N days up to and including today (UTC)', () => {
  const now = Date.parse('2025-03-10T23:59:00Z');
  assert.equal(backfillWindow(30, now), { startDate: '2025-02-09', endDate: '2025-03-11' }, 'expected 30 days ending with today');
  assert.equal(backfillWindow(1, now), { startDate: '2025-03-10', endDate: '2025-03-11' }, 'expected today alone');
  for (const days of [0, -1, 2.5, 366]) assert.throws(() => backfillWindow(days, now), RangeError, `expected ${days} days refused`);
});

test('a window is cut into requests of at most a week, covering every day once', () => {
  const chunks = backfillChunks({ startDate: '2025-02-09', endDate: '2025-03-11' });
  assert.is(chunks.length, 5, 'expected 30 days as 4 weeks and 2 days');
  assert.equal(chunks[0], { startDate: '2025-02-09', endDate: '2025-02-16' }, 'expected the oldest week first');
  assert.equal(chunks.at(-1), { startDate: '2025-03-09', endDate: '2025-03-11' }, 'expected the last, shorter chunk to end with the window');
  for (let i = 1; i < chunks.length; i++) assert.is(chunks[i]!.startDate, chunks[i - 1]!.endDate, 'expected chunks to meet without gap or overlap');
});

test('a request round-trips through its record, keyed by vendor and vendor user', () => {
  const request = { vendor: 'oura' as const, vendorUserId: 'u-1', startDate: '2025-01-01', endDate: '2025-01-08' };
  const record = backfillRecord(request);
  assert.is(record.key, 'oura:u-1', 'expected the key hydrate keys that user by');
  assert.equal(readBackfillRequest(record.value), request, 'expected the same request back');
  assert.equal([...backfillVendors].sort(), ['google-health', 'oura', 'whoop', 'withings'], 'expected the vendors whose hydrator lists history');
});

test('a malformed request or a vendor without history is a dead letter with its reason', () => {
  assert.is(reasonOf(Buffer.from('nope')), 'malformed_backfill_request', 'expected non-JSON refused');
  assert.is(reasonOf(Buffer.from(JSON.stringify({ vendor: 'oura', vendor_user_id: 'u', start_date: '2025-01-08', end_date: '2025-01-01' }))), 'malformed_backfill_request', 'expected an inverted window refused');
  assert.is(reasonOf(Buffer.from(JSON.stringify({ vendor: 'oura', start_date: '2025-01-01', end_date: '2025-01-08' }))), 'malformed_backfill_request', 'expected a request without user refused');
  assert.is(reasonOf(Buffer.from(JSON.stringify({ vendor: 'polar', vendor_user_id: 'u', start_date: '2025-01-01', end_date: '2025-01-08' }))), 'unsupported_backfill', 'expected Polar refused as unsupported');
});

test.run();
