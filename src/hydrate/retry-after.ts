const shortestWaitMs = 1_000; // one second
const longestWaitMs = 3_600_000; // one hour

/**
 * How long a partition pauses when a vendor asked it to wait `askedMs`. A vendor that answers 429
 * with `Retry-After: 0`, a negative value or a date already past still asked us to back off: the
 * partition waits a second rather than call again at once. A wait longer than an hour is asked
 * again after an hour (the vendor answers 429 anew if it still means it), which also keeps the
 * runner's timer below setTimeout's 2^31 ms limit, past which it would fire at once.
 */
export function vendorWaitMs(askedMs: number): number {
  if (Number.isNaN(askedMs)) return shortestWaitMs;
  return Math.min(longestWaitMs, Math.max(shortestWaitMs, Math.ceil(askedMs)));
}
