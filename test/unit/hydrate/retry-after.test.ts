import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { retryAfterMs } from '../../../src/vendors/kit/retry-after.ts';
import { vendorWaitMs } from '../../../src/hydrate/retry-after.ts';

// What a vendor's Retry-After says, and how long a partition then actually pauses.

const now = Date.UTC(2026, 0, 1);

test('Retry-After reads seconds and HTTP dates', () => {
  assert.is(retryAfterMs('2', now), 2_000, 'expected seconds');
  assert.is(retryAfterMs(new Date(now + 5_000).toUTCString(), now), 5_000, 'expected a date 5 s ahead');
  assert.is(retryAfterMs(null, now), undefined, 'expected nothing without a header');
  assert.is(retryAfterMs('soon', now), undefined, 'expected nothing for an unreadable value');
});

test('a wait of nothing, less than nothing or a date already past is a second', () => {
  for (const header of ['0', '-30', new Date(now - 5_000).toUTCString()]) {
    assert.is(vendorWaitMs(retryAfterMs(header, now)!), 1_000, `expected Retry-After: ${header} to pause 1 s`);
  }
  assert.is(vendorWaitMs(Number.NaN), 1_000, 'expected an unreadable wait to pause 1 s');
});

test('a wait setTimeout cannot hold (2^31 ms or more) or longer than an hour is an hour', () => {
  assert.is(vendorWaitMs(2 ** 31), 3_600_000, 'expected 2^31 ms to pause 1 h, not overflow to 1 ms');
  assert.is(vendorWaitMs(retryAfterMs('1e12', now)!), 3_600_000, 'expected a huge value to pause 1 h');
  assert.is(vendorWaitMs(Number.POSITIVE_INFINITY), 3_600_000, 'expected an infinite wait to pause 1 h');
});

test('a wait within the bounds is kept, rounded up to whole ms', () => {
  assert.is(vendorWaitMs(7_000), 7_000, 'expected 7 s to stay 7 s');
  assert.is(vendorWaitMs(1_500.2), 1_501, 'expected a fraction rounded up');
});

test.run();
