import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitList, valuesWithin } from '../../../src/hydrate/record-size.ts';
import { RecordError } from '../../../src/streams/errors.ts';

// A hydrated value cut to what one record holds, or refused when it cannot be.

const point = (n: number) => ({ heartRate: { sampleTime: { physicalTime: `2025-01-15T03:${String(n % 60).padStart(2, '0')}:00Z` }, beatsPerMinute: String(50 + (n % 30)) } });
const value = (count: number) => ({ user_id: 'u1', data_type: 'heart-rate', data_points: Array.from({ length: count }, (_, n) => point(n)) });
const bytes = (json: unknown) => Buffer.byteLength(JSON.stringify(json));

test('a list is cut into runs, in order, every part within the limit and carrying the other fields', () => {
  const whole = value(100);
  const limit = 1_000;
  const parts = splitList(whole, 'data_points', limit);
  assert.ok(parts.length > 1, 'expected several parts');
  for (const part of parts) {
    assert.ok(bytes(part) <= limit, `expected a part within ${limit} bytes, got ${bytes(part)}`);
    assert.is(part['user_id'], 'u1', 'expected the user on every part');
    assert.is(part['data_type'], 'heart-rate', 'expected the data type on every part');
  }
  assert.equal(parts.flatMap((part) => part['data_points'] as unknown[]), whole.data_points, 'expected every point once, in order');
  const tight = splitList(whole, 'data_points', bytes(parts[0]));
  assert.equal(tight.map(bytes), parts.map(bytes), 'expected a part to fill the limit exactly when its points do');
});

test('a list that fits, is empty or is no list stays one value', () => {
  assert.equal(splitList(value(3), 'data_points', 10_000), [value(3)], 'expected the value unchanged');
  assert.equal(splitList(value(0), 'data_points', 10), [value(0)], 'expected an empty list kept');
  const deletion = { user_id: 'u1', deleted: { type: 'heart-rate', intervals: [] } };
  assert.equal(splitList(deletion, 'data_points', 10), [deletion], 'expected a value without the list unchanged');
});

test('values within the limit are one record; larger ones are split, else record_too_large', () => {
  assert.equal(valuesWithin('google-health', value(2), 10_000).map((b) => JSON.parse(b.toString())), [value(2)], 'expected the value as one record');
  const split = valuesWithin('google-health', value(100), 1_000, (v, max) => splitList(v, 'data_points', max));
  assert.ok(split.length > 1 && split.every((b) => b.length <= 1_000), 'expected several records within the limit');
  const unsplittable = (() => {
    try {
      return valuesWithin('oura', value(100), 1_000);
    } catch (error) {
      return error;
    }
  })();
  assert.instance(unsplittable, RecordError, 'expected a dead letter for a value its vendor cannot split');
  assert.is((unsplittable as RecordError).reason, 'record_too_large', 'expected record_too_large');
  const huge = { ...value(1), data_points: [{ ...point(1), note: 'x'.repeat(2_000) }] };
  assert.throws(() => valuesWithin('google-health', huge, 1_000, (v, max) => splitList(v, 'data_points', max)), (error: unknown) => error instanceof RecordError && error.reason === 'record_too_large' && !error.detail.includes('xxxx'), 'expected one document too large refused, without its content');
});

test.run();
