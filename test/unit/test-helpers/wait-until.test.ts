import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StopWaiting, waitUntil } from '../../support/wait-until.ts';

test('an error of the check counts as a failed attempt: waiting goes on', async () => {
  let attempts = 0;
  const value = await waitUntil('the third attempt', () => {
    attempts += 1;
    if (attempts < 3) throw new Error('not yet');
    return 'ok';
  }, { timeoutMs: 5_000, intervalMs: 1 });
  assert.is(value, 'ok');
  assert.is(attempts, 3);
});

test('StopWaiting ends the wait at once, with its reason', async () => {
  let attempts = 0;
  const began = Date.now();
  try {
    await waitUntil('a process that exited', () => {
      attempts += 1;
      throw new StopWaiting('exited with 1');
    }, { timeoutMs: 60_000, intervalMs: 1 });
    assert.unreachable('the wait should have failed');
  } catch (error) {
    assert.instance(error, Error);
    assert.match((error as Error).message, 'gave up waiting for a process that exited: exited with 1');
  }
  assert.is(attempts, 1);
  assert.ok(Date.now() - began < 5_000);
});

test('a check that never succeeds fails at the timeout with its last observation', async () => {
  try {
    await waitUntil('never', () => false, { timeoutMs: 30, intervalMs: 5 });
    assert.unreachable('the wait should have failed');
  } catch (error) {
    assert.match((error as Error).message, 'timed out after 30 ms waiting for never; last: false');
  }
});

test.run();
