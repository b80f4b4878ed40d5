import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PriorityLog } from '../../../src/push/hub.ts';
import { withReplaySlots } from '../../../src/push/replay-slots.ts';

/**
 * A log whose replays run until the test ends them, or their signal aborts unless `stuck` (as a
 * consumer still connecting would be); it notes which started.
 */
function heldLog(stuck = new Set<string>()): { log: PriorityLog; started: string[]; finish: (userId: string) => void } {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const log: PriorityLog = {
    latest: async () => new Map(),
    replay: (userId, _from, _deliver, signal) =>
      new Promise<void>((resolve, reject) => {
        started.push(userId);
        finishers.set(userId, resolve);
        if (!stuck.has(userId)) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
  return { log, started, finish: (userId) => finishers.get(userId)?.() };
}

// AbortSignal.timeout does not hold the process open (a server does): nothing else here would.
let alive: NodeJS.Timeout;
test.before(() => void (alive = setInterval(() => undefined, 1_000)));
test.after(() => clearInterval(alive));

const outcome = (replay: Promise<void>): Promise<string> => replay.then(() => 'finished', (error: unknown) => (error instanceof Error ? error.name : String(error)));

test('a replay waiting for a slot gives up at the timeout, and never starts', async () => {
  const { log, started, finish } = heldLog(new Set(['stuck']));
  const slots = withReplaySlots(log, { concurrent: 1, queueLimit: 10, timeoutMs: 300 });
  const stuck = outcome(slots.replay('stuck', new Map(), () => undefined, new AbortController().signal));
  const waiting = Date.now();
  const queued = await outcome(slots.replay('queued', new Map(), () => undefined, new AbortController().signal));
  const waited = Date.now() - waiting;
  assert.is(queued, 'TimeoutError', 'expected the queued replay to fail at the timeout');
  assert.ok(waited < 1_000, `expected it to give up at 300 ms, took ${waited} ms`);
  assert.is(await stuck, 'TimeoutError', 'expected the replay holding the slot dropped at its timeout too');
  finish('stuck'); // its read ends late; the slot passes to the queued replay, long given up
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(started, ['stuck'], 'expected the queued replay never started');
});

test('a queued replay whose client left ends at once, and the ones behind it still get their turn', async () => {
  const { log, started, finish } = heldLog();
  const slots = withReplaySlots(log, { concurrent: 1, queueLimit: 10, timeoutMs: 60_000 });
  const first = outcome(slots.replay('first', new Map(), () => undefined, new AbortController().signal));
  const leaving = new AbortController();
  const left = outcome(slots.replay('left', new Map(), () => undefined, leaving.signal));
  const last = outcome(slots.replay('last', new Map(), () => undefined, new AbortController().signal));
  leaving.abort(new Error('client gone'));
  assert.is(await left, 'Error', 'expected the replay of a client gone to end while still queued');
  finish('first');
  assert.is(await first, 'finished');
  // cockatiel, handed the signal, drops the aborted task at the front and starts none in its place.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(started, ['first', 'last'], 'expected the replay behind the one that left to start, and that one not');
  finish('last');
  assert.is(await last, 'finished');
});

test.run();
