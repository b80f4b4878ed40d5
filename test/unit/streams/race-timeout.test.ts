import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { raceTimeout } from '../../../src/streams/index.ts';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

test('a promise that settles first wins, and its timer is cleared', async () => {
  // The test runner's own timer is listed until its callback's first await.
  await new Promise((resolve) => setImmediate(resolve));
  const sent = raceTimeout(Promise.resolve('sent'), 60_000, () => 'late');
  const armed = timers();
  assert.is(await sent, 'sent');
  assert.is(timers(), armed - 1, 'the timer is gone once the race settled');
  const refused = raceTimeout(Promise.reject(new Error('refused')), 60_000, () => 'late');
  const armedAgain = timers();
  assert.is(await rejection(refused), 'refused');
  assert.is(timers(), armedAgain - 1, 'and after a rejection');
});

test('past the deadline: what onTimeout answers, or its error', async () => {
  const never = new Promise<string>(() => undefined);
  assert.is(await raceTimeout(never, 5, () => 'gave up'), 'gave up');
  const thrown = raceTimeout(never, 5, () => {
    throw new Error('no acknowledgement within 5 ms');
  });
  assert.is(await rejection(thrown), 'no acknowledgement within 5 ms');
});

test.run();
