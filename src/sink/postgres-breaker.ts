import { onBreakerState } from '../obs/breaker-state.ts';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { DependencyUnavailableError } from '../streams/errors.ts';

export interface PostgresBreakerOptions {
  /** Consecutive connection-class failures that open the breaker (the seeds' 5). */
  readonly consecutiveFailures?: number;
  /** How long the breaker stays open before one trial call (the seeds' 60 s). */
  readonly halfOpenAfterMs?: number;
  /** Pause asked for after a single connection failure while the breaker is still closed. */
  readonly retryAfterMs?: number;
}

export interface PostgresBreaker {
  /**
   * Runs `work`; turns "Postgres is not there" into DependencyUnavailableError so the runtime
   * pauses the partitions instead of dead-lettering rows that would succeed a minute later.
   */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly state: () => 'closed' | 'open' | 'half-open' | 'isolated';
  onStateChange(listener: (state: 'closed' | 'open' | 'half-open') => void): void;
}

// Failures of Postgres, not of a row, which every row of every chunk would meet alike until
// someone or something fixes Postgres: refused/reset sockets, timeouts, SQLSTATE class 08
// (connection exception), 57P0x (server shutting down or starting), 53300 (too many
// connections), 53100 / 53200 (disk full, out of memory), 57014 (a statement or lock timeout: a
// server that hangs), 25006 (a read-only server: a failover's old primary), 28000 / 28P01 (the
// login refused: a rotated password) and 42501 (a permission revoked). Only these count toward the
// breaker and pause the stage: a bad row failing five times is not an outage and must not stall
// it, while dead-lettering every row of an outage would leave the table for the redrive to fill.
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', '53300', '53100', '53200', '57014', '25006', '28000', '28P01', '42501']);

export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code))) {
    return true;
  }
  // node-postgres reports lost connections, pool connect timeouts and its own query timeout
  // (the pool's query_timeout: a server that does not answer) without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Query read timeout/i.test(
    error.message,
  );
}

export function createPostgresBreaker(options: PostgresBreakerOptions = {}): PostgresBreaker {
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 60_000; // one minute
  const retryAfterMs = options.retryAfterMs ?? 1_000; // one second
  const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(isPostgresUnavailable), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 5),
  });
  let openedAt = 0;
  policy.onBreak(() => {
    openedAt = Date.now();
  });
  const stateNames = ['closed', 'open', 'half-open', 'isolated'] as const;
  return {
    async run(work) {
      try {
        return await policy.execute(work);
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          const remaining = Math.max(0, halfOpenAfterMs - (Date.now() - openedAt));
          throw new DependencyUnavailableError('postgres', remaining || retryAfterMs, { cause: error });
        }
        if (isPostgresUnavailable(error)) {
          throw new DependencyUnavailableError('postgres', retryAfterMs, { cause: error });
        }
        throw error;
      }
    },
    state: () => stateNames[policy.state] ?? 'closed',
    onStateChange: (listener) => onBreakerState(policy, listener),
  };
}
