import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { atExpiry, longestTimerMs, type Timers } from '../../../src/push/expiry.ts';

const dayMs = 86_400_000;

/** A clock that moves only when told, firing the timers that come due in order. */
function manualTimers(start: number): { timers: Timers; advance(ms: number): void; longestWait(): number } {
  let now = start;
  let longest = 0;
  const pending: Array<{ due: number; callback: () => void }> = [];
  const timers: Timers = {
    now: () => now,
    after(ms, callback) {
      longest = Math.max(longest, ms);
      const timer = { due: now + ms, callback };
      pending.push(timer);
      return () => {
        const at = pending.indexOf(timer);
        if (at >= 0) pending.splice(at, 1);
      };
    },
  };
  const advance = (ms: number): void => {
    const until = now + ms;
    for (;;) {
      const next = pending.filter((t) => t.due <= until).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      pending.splice(pending.indexOf(next), 1);
      now = next.due;
      next.callback();
    }
    now = until;
  };
  return { timers, advance, longestWait: () => longest };
}

test('a token living longer than one timer can wait expires at its exp, not at the timer’s limit', () => {
  const start = Date.UTC(2026, 0, 1);
  const clock = manualTimers(start);
  let expired = 0;
  atExpiry(start + 30 * dayMs, () => (expired += 1), clock.timers);
  clock.advance(longestTimerMs);
  assert.is(expired, 0, 'expected the stream still open after ~24.8 days of a 30-day token');
  clock.advance(30 * dayMs - longestTimerMs - 1);
  assert.is(expired, 0, 'expected it open until the last millisecond');
  clock.advance(1);
  assert.is(expired, 1, 'expected it ended once, at 30 days');
  assert.ok(clock.longestWait() <= longestTimerMs, `expected every wait within setTimeout's limit, got ${clock.longestWait()} ms`);
});

test('a short-lived token expires at its exp; one already past, on the next timer, never synchronously', () => {
  const start = Date.UTC(2026, 0, 1);
  const clock = manualTimers(start);
  let expired = 0;
  atExpiry(start + 3_600_000, () => (expired += 1), clock.timers);
  clock.advance(3_599_999);
  assert.is(expired, 0, 'expected no expiry a millisecond early');
  clock.advance(1);
  assert.is(expired, 1, 'expected the expiry at one hour');

  let pastExpired = 0;
  atExpiry(start, () => (pastExpired += 1), clock.timers);
  assert.is(pastExpired, 0, 'expected no call while the stream is still being set up');
  clock.advance(0);
  assert.is(pastExpired, 1, 'expected the expiry on the first timer');
});

test('a cancelled expiry never fires, even after a re-arm', () => {
  const start = Date.UTC(2026, 0, 1);
  const clock = manualTimers(start);
  let expired = 0;
  const cancel = atExpiry(start + 40 * dayMs, () => (expired += 1), clock.timers);
  clock.advance(longestTimerMs + 1); // past the first step: the wait was re-armed
  cancel();
  clock.advance(40 * dayMs);
  assert.is(expired, 0, 'expected no expiry for a client that already left');
});

test.run();
