import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitUntil } from '../../../src/cli/stack/processes.ts';

test('one check that misses the process does not end the wait; the service is waited for until it answers', async () => {
  const alive = [true, false, true, true, true];
  let checks = 0;
  await waitUntil(async () => ++checks >= 4, { what: 'svc', timeoutMs: 5_000, intervalMs: 1, alive: () => alive.shift() ?? true });
  assert.is(checks, 4, 'expected the wait to go on past a single miss until the service answered');
});

test('a process gone on three checks in a row ends the wait with "exited during start-up" and its log', async () => {
  try {
    await waitUntil(async () => false, { what: 'svc', timeoutMs: 5_000, intervalMs: 1, logFile: '/tmp/svc.log', alive: () => false });
    assert.unreachable('expected the wait to fail');
  } catch (error) {
    assert.match((error as Error).message, 'svc exited during start-up; see /tmp/svc.log', 'expected the exit named with its log');
  }
});

test.run();
