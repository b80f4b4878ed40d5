import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../obs/logger.ts';

export interface PostgresPoolOptions {
  readonly connectionString: string;
  /** PG_POOL_MAX: the upper bound on connections this process opens. */
  readonly max: number;
  readonly logger: Logger;
  /** Where `postgres_pool_idle_errors_total` is counted; omitted by scripts that do not serve metrics. */
  readonly metrics?: Registry;
  /** Shown in pg_stat_activity, so an operator sees which process holds a connection. */
  readonly applicationName?: string;
  /** How long a checkout waits for a connection before failing (so an outage is noticed). */
  readonly connectTimeoutMs?: number;
}

function idleErrorCounter(registry: Registry): Counter<'pool'> {
  const name = 'postgres_pool_idle_errors_total';
  return (
    (registry.getSingleMetric(name) as Counter<'pool'> | undefined) ??
    new Counter({ name, help: 'Idle pooled Postgres connections that failed (server restart, terminated backend)', labelNames: ['pool'], registers: [registry] })
  );
}

/**
 * The one way a process opens Postgres: bounded, with timeouts, and with an 'error' listener. An
 * idle client losing its connection (Postgres restarting, a terminated backend) emits 'error' on
 * the pool; unhandled, that event kills the process. The pool drops that client by itself and
 * the next query opens a new connection (or meets the outage through its breaker), so a counted
 * warning is all it takes.
 */
export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const applicationName = options.applicationName ?? 'biometric-bridge';
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000, // five seconds
    // A statement that hangs on a half-open socket would hold the batch forever.
    query_timeout: 30_000, // thirty seconds
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
  });
  const idleErrors = options.metrics ? idleErrorCounter(options.metrics) : undefined;
  pool.on('error', (error) => {
    idleErrors?.inc({ pool: applicationName });
    options.logger.warn({ pool: applicationName, err: { message: error.message, code: (error as Error & { code?: string }).code } }, 'postgres idle client error');
  });
  return pool;
}
