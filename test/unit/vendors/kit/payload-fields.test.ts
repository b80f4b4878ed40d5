import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timeAt } from '../../../../src/vendors/kit/payload-fields.ts';

test('epoch seconds become milliseconds, epoch milliseconds stay', () => {
  assert.is(timeAt({ t: 1736900000 }, 't'), 1736900000000, 'expected seconds × 1000');
  assert.is(timeAt({ t: 1736900000123 }, 't'), 1736900000123, 'expected milliseconds unchanged');
  assert.is(timeAt({ t: '1736900000' }, 't'), 1736900000000, 'expected quoted seconds read alike');
});

test('fractional times are rounded to whole milliseconds, as the Avro longs need', () => {
  assert.is(timeAt({ t: 1736900000.123456 }, 't'), 1736900000123, 'expected fractional seconds rounded to the millisecond');
  assert.is(timeAt({ t: 1736900000.9996 }, 't'), 1736900001000, 'expected the nearest millisecond, not a truncation');
  assert.is(timeAt({ t: '1736900000.123456' }, 't'), 1736900000123, 'expected quoted fractional seconds rounded alike');
  assert.is(timeAt({ t: 1736900000123.6 }, 't'), 1736900000124, 'expected fractional milliseconds rounded');
  assert.is(timeAt({ t: '2025-01-15T00:13:20.123456Z' }, 't'), 1736900000123, 'expected an ISO time with microseconds in whole milliseconds');
});

test('what is not a time gives nothing', () => {
  assert.is(timeAt({ t: -1e308 }, 't'), undefined, 'expected seconds whose milliseconds overflow a double refused, not -Infinity');
  assert.equal([timeAt({ t: 'soon' }, 't'), timeAt({ t: '' }, 't'), timeAt({}, 't'), timeAt({ t: null }, 't')], [undefined, undefined, undefined, undefined], 'expected undefined for each');
});

test.run();
