import { Redis } from 'ioredis';
import type { Logger } from '../obs/logger.ts';

/** Reconnect attempts back off to one a second, so a returning Redis is used within a second. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 1_000);

/**
 * The one way a process opens Redis. A command fails within about a second while Redis is away
 * (or within `commandTimeoutMs` while it does not answer) instead of waiting for it: with the
 * client's defaults a command waited through 20 reconnect attempts (tens of seconds). verify's
 * chunk then held its consumer past the session timeout, the broker dropped the member, and its
 * offset commits after Redis came back were refused: the fault soak saw 5,641 records routed twice
 * (at-least-once) after a Redis outage followed by a broker restart. A failed command pauses the
 * partition (DependencyUnavailableError) and the consumer keeps its membership.
 */
export function createRedisClient(url: string, log: Logger, options: { commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Auto-pipelining sends the commands of one tick (a chunk's replay-guard claims, checked
    // concurrently) as one socket write: a write per command cost verify about 9 % of its CPU.
    enableAutoPipelining: true,
    // Queued commands fail at each failed reconnect attempt rather than after 20 of them.
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelayMs,
    connectTimeout: 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
  });
  // ioredis reconnects by itself; without a listener each failed attempt is printed as an
  // unhandled error.
  redis.on('error', (error: Error & { code?: string }) => log.warn({ dependency: 'redis', code: error.code }, 'redis connection error'));
  return redis;
}
