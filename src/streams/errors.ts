/**
 * How a step tells the runtime what went wrong. The runtime's error policy reads the class:
 * - RecordError: this record can never succeed (bad signature, unmappable): dead-letter it now.
 * - DependencyUnavailableError: a dependency is down (breaker open): pause, do not dead-letter.
 * - anything else: transient; retried with backoff, dead-lettered once retries run out.
 */
export class RecordError extends Error {
  /** Machine code for the `dlq-reason` header, e.g. `bad_signature`. */
  readonly reason: string;
  /** Human text for `dlq-detail`; must not contain PHI (user ids, readings). */
  readonly detail: string;

  constructor(reason: string, detail: string, options?: ErrorOptions) {
    super(`${reason}: ${detail}`, options);
    this.name = 'RecordError';
    this.reason = reason;
    this.detail = detail;
  }
}

export class DependencyUnavailableError extends Error {
  /** Which dependency, for logs and the breaker metric, e.g. `postgres`. */
  readonly dependency: string;
  /** How long to wait before trying again, in ms. */
  readonly retryAfterMs: number;

  constructor(dependency: string, retryAfterMs: number, options?: ErrorOptions) {
    super(`${dependency} unavailable; retrying in ${retryAfterMs} ms`, options);
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
    this.retryAfterMs = retryAfterMs;
  }
}
