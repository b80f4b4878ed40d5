import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from '../obs/logger.ts';

export interface WaitOptions {
  readonly log: Logger;
  /** Which dependency, for the log line, e.g. `registry`. */
  readonly dependency: string;
  /** What is being waited for, e.g. `to look the BiometricEvent schema up`. */
  readonly what: string;
  /** True for failures that mean "not there yet"; anything else stops the wait at once. */
  readonly isUnavailable: (error: unknown) => boolean;
  /** Aborted when the process stops while it still waits. */
  readonly signal?: AbortSignal;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** After the first warning, at most one per this long while the wait goes on (the attempts between are logged at debug). */
  readonly warnEveryMs?: number;
  /** Clock for the warnings' spacing; tests pass their own. */
  readonly now?: () => number;
}

/**
 * The longest pause between two attempts: a dependency that comes back is seen within about this
 * long, and what waits for it is ready again (Kafka's clients reconnect within a second by
 * default). Tens of seconds kept a stage unready that long after Postgres had returned.
 */
export const defaultMaxWaitDelayMs = 2_000;

/** A long outage logs a warning this often, not at every attempt. */
export const defaultWarnEveryMs = 30_000;

/**
 * Start-up's wait for a dependency (docs/design.md §9): retries for as long as the dependency is
 * down or answers 5xx, each pause about twice the last up to `maxDelayMs`, warning at the first
 * attempt and then every `warnEveryMs` with the attempts and time so far.
 * The process never exits because a dependency is away; it waits, not ready and reporting the
 * dependency on /health, until it answers or the process is stopped.
 */
export async function waitFor<T>(work: () => Promise<T>, options: WaitOptions): Promise<T> {
  const policy = retry(handleWhen(options.isUnavailable), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 500, maxDelay: options.maxDelayMs ?? defaultMaxWaitDelayMs }),
  });
  const now = options.now ?? Date.now;
  const warnEveryMs = options.warnEveryMs ?? defaultWarnEveryMs;
  const began = now();
  let warnedAt: number | undefined;
  const listener = policy.onRetry((reason) => {
    const error = 'error' in reason ? reason.error : undefined;
    const at = now();
    const warn = warnedAt === undefined || at - warnedAt >= warnEveryMs;
    if (warn) warnedAt = at;
    options.log[warn ? 'warn' : 'debug'](
      { dependency: options.dependency, attempt: reason.attempt, waitedMs: at - began, delayMs: Math.round(reason.delay), error: error instanceof Error ? error.message : undefined },
      `waiting for ${options.dependency} ${options.what}`,
    );
  });
  try {
    return await policy.execute(() => work(), options.signal);
  } finally {
    listener.dispose();
  }
}
