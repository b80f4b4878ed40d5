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
}

/**
 * Start-up's wait for a dependency (docs/design.md §9): retries for as long as the dependency is
 * down or answers 5xx, each pause twice the last up to `maxDelayMs`, with one warning per attempt.
 * The process never exits because a dependency is away; it waits, not ready and reporting the
 * dependency on /health, until it answers or the process is stopped.
 */
export async function waitFor<T>(work: () => Promise<T>, options: WaitOptions): Promise<T> {
  const policy = retry(handleWhen(options.isUnavailable), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 500, maxDelay: options.maxDelayMs ?? 10_000 }),
  });
  const listener = policy.onRetry((reason) => {
    const error = 'error' in reason ? reason.error : undefined;
    options.log.warn(
      { dependency: options.dependency, attempt: reason.attempt, delayMs: Math.round(reason.delay), error: error instanceof Error ? error.message : undefined },
      `waiting for ${options.dependency} ${options.what}`,
    );
  });
  try {
    return await policy.execute(() => work(), options.signal);
  } finally {
    listener.dispose();
  }
}
