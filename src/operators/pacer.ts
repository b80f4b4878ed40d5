/**
 * Limits a copy to `rate` records per second. `take(n)` waits until n more records fit in the
 * budget since the start, so short bursts are smoothed out and the long-run rate never exceeds
 * the limit. Rate 0 or less means unlimited.
 */
export interface Pacer {
  take(count: number): Promise<void>;
}

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function createPacer(rate: number, clock: PacerClock = realClock): Pacer {
  const startedAt = clock.now();
  let granted = 0;
  return {
    async take(count) {
      if (rate <= 0) return;
      granted += count;
      const dueAt = startedAt + ((granted - count) / rate) * 1000;
      const wait = dueAt - clock.now();
      if (wait > 0) await clock.sleep(wait);
    },
  };
}
