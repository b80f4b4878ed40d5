import pg from 'pg';
import type { Logger } from '../obs/logger.ts';

export interface PostgresPoolOptions {
  readonly connectionString: string;
  /** PG_POOL_MAX: the upper bound on connections this process opens. */
  readonly max: number;
  readonly logger: Logger;
  /** How long a checkout waits for a connection before failing (so an outage is noticed). */
  readonly connectTimeoutMs?: number;
}

export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000, // five seconds
    // A statement that hangs on a half-open socket would hold the batch forever.
    query_timeout: 30_000, // thirty seconds
    idleTimeoutMillis: 30_000,
    application_name: 'biometric-bridge-sink',
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the
  // process. The next query notices the outage through the breaker, so a warning is enough.
  pool.on('error', (error) => {
    options.logger.warn({ err: { message: error.message, code: (error as Error & { code?: string }).code } }, 'postgres idle client error');
  });
  return pool;
}
