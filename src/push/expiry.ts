/** The longest delay setTimeout keeps (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const longestTimerMs = 2_147_483_647;

/** The clock and timer an expiry runs on; tests pass their own. */
export interface Timers {
  now(): number; // ms since epoch
  /** Calls `callback` after `ms`; the returned function cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * Calls `onExpired` once `expiresAt` (ms since epoch) has passed, however far off it is: a token
 * may live longer than one timer can wait, so the wait is re-armed in steps until the time has
 * come. Never calls it synchronously. Returns the cancel.
 */
export function atExpiry(expiresAt: number, onExpired: () => void, timers: Timers = systemTimers): () => void {
  let cancel: () => void;
  const arm = (): void => {
    const remaining = expiresAt - timers.now();
    cancel = timers.after(Math.min(Math.max(0, remaining), longestTimerMs), () => {
      if (timers.now() >= expiresAt) onExpired();
      else arm();
    });
  };
  arm();
  return () => cancel();
}
