import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPacer, type PacerClock } from '../../../src/operators/pacer.ts';

function fakeClock(): PacerClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

test('a pacer holds the long-run rate to the limit', async () => {
  const clock = fakeClock();
  const pacer = createPacer(100, clock);
  for (let i = 0; i < 10; i++) await pacer.take(50);
  // 500 records at 100/s: the last batch may start at 4.5 s.
  assert.is(clock.now(), 4_500, 'expected the tenth batch of 50 to start 4.5 s after the first');
});

test('the first batch goes at once', async () => {
  const clock = fakeClock();
  await createPacer(10, clock).take(100);
  assert.equal(clock.slept, [], 'expected no wait before the first batch');
});

test('rate 0 means unlimited', async () => {
  const clock = fakeClock();
  const pacer = createPacer(0, clock);
  for (let i = 0; i < 5; i++) await pacer.take(1_000);
  assert.equal(clock.slept, [], 'expected an unlimited pacer never to sleep');
});

test.run();
