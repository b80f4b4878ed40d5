import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError } from '../streams/errors.ts';

/** A fixed window: at most `requests` in every `windowSeconds`. */
export interface RateLimit {
  readonly requests: number;
  readonly windowSeconds: number;
}

export interface VendorRateLimits {
  /** The vendor app's budget, shared by all of its users. */
  readonly app: RateLimit;
  /** Each vendor user's budget. */
  readonly user: RateLimit;
}

/**
 * Takes one request from a vendor's budgets before every API call. Over budget → a
 * DependencyUnavailableError that names when the window frees a request, so the stage pauses the
 * partition as it does for the vendor's own 429 and nothing is dead-lettered.
 */
export interface RateLimits {
  /** `backfill`: a backfill's request, which may use only its share of the app's budget. */
  take(vendor: string, vendorUserId: string, lane?: Lane): Promise<void>;
}

/** Live notifications first: a backfill draws on a share of each window, the rest stays theirs. */
export type Lane = 'live' | 'backfill';

export const unlimited: RateLimits = { take: async () => undefined };

/**
 * Budgets kept in Redis (rate-limiter-flexible's atomic INCR + TTL script), so every hydrate
 * instance draws from the same counters: one key per vendor app, one per vendor user.
 */
export interface RedisRateLimitOptions {
  /** Redis key prefix; tests and benchmarks isolate their counters with their own. */
  readonly keyPrefix?: string;
  /** Told of every request a vendor app's budget admitted and when that window ends (epoch ms). */
  readonly onAdmitted?: (vendor: string, windowEndsAt: number) => void;
  /** The part of each app window backfills may use, 0–1 (HYDRATE_BACKFILL_SHARE). */
  readonly backfillShare?: number; // 0.5
}

export function redisRateLimits(redis: Redis, limits: Readonly<Record<string, VendorRateLimits>>, options: RedisRateLimitOptions = {}): RateLimits {
  const keyPrefix = options.keyPrefix ?? 'bridge:hydrate:rl';
  const limiters = new Map(
    Object.entries(limits).map(([vendor, { app, user }]) => [
      vendor,
      {
        app: new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${vendor}:app`, points: app.requests, duration: app.windowSeconds }),
        user: new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:${vendor}:user`, points: user.requests, duration: user.windowSeconds }),
        backfill: new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${keyPrefix}:${vendor}:backfill`,
          points: Math.max(1, Math.floor(app.requests * (options.backfillShare ?? 0.5))),
          duration: app.windowSeconds,
        }),
      },
    ]),
  );
  const consume = async (limiter: RateLimiterRedis, key: string, vendor: string): Promise<RateLimiterRes> => {
    try {
      return await limiter.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new DependencyUnavailableError(`${vendor}-rate-limit`, Math.max(1, error.msBeforeNext));
      throw new DependencyUnavailableError('redis', 1_000, { cause: error });
    }
  };
  return {
    async take(vendor, vendorUserId, lane = 'live') {
      const limiter = limiters.get(vendor);
      if (limiter === undefined) return;
      if (lane === 'backfill') await consume(limiter.backfill, 'app', vendor);
      const app = await consume(limiter.app, 'app', vendor);
      await consume(limiter.user, vendorUserId, vendor);
      options.onAdmitted?.(vendor, Date.now() + app.msBeforeNext);
    },
  };
}
