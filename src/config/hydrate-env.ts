import { z } from 'zod';

/** `<requests>/<seconds>`, e.g. `5000/300`: a fixed window shared through Redis. */
const rateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, { message: 'must be <requests>/<seconds>, e.g. 5000/300' })
  .transform((value) => {
    const [requests, windowSeconds] = value.split('/').map(Number) as [number, number];
    return { requests, windowSeconds };
  })
  .refine((limit) => limit.requests > 0 && limit.windowSeconds > 0, { message: 'requests and seconds must both be above 0' });
const apiBase = z.url({ protocol: /^https?$/, error: 'must be a URL starting with http:// or https://' });
const positiveMs = z.coerce.number().int().positive();

/**
 * The hydrate stage's variables, spread at the end of the environment schema (schema.ts).
 * Base URLs default to the vendors' real hosts; tests point them at a loopback simulator. Rate
 * limits are shared by every hydrate instance through Redis, one budget per vendor app and one per
 * vendor user, written `<requests>/<seconds>`; defaults are the vendors' published limits
 * (docs/vendors.md "Hydration"). Hitting one pauses the partition like a vendor 429.
 */
export const hydrateEnvShape = {
  OURA_API_BASE_URL: apiBase.default('https://api.ouraring.com'),
  WHOOP_API_BASE_URL: apiBase.default('https://api.prod.whoop.com/developer'),
  GOOGLE_HEALTH_API_BASE_URL: apiBase.default('https://health.googleapis.com'),
  POLAR_API_BASE_URL: apiBase.default('https://www.polaraccesslink.com'),
  WITHINGS_API_BASE_URL: apiBase.default('https://wbsapi.withings.net'),
  GARMIN_API_BASE_URL: apiBase.default('https://apis.garmin.com'),
  OURA_API_APP_RATE_LIMIT: rateLimit.default({ requests: 5000, windowSeconds: 300 }), // Oura: 5000 requests per 5 minutes
  OURA_API_USER_RATE_LIMIT: rateLimit.default({ requests: 5000, windowSeconds: 300 }), // the same budget applies to each token
  WHOOP_API_APP_RATE_LIMIT: rateLimit.default({ requests: 100, windowSeconds: 60 }), // WHOOP: 100 a minute (and 10,000 a day)
  WHOOP_API_USER_RATE_LIMIT: rateLimit.default({ requests: 100, windowSeconds: 60 }),
  GOOGLE_HEALTH_API_APP_RATE_LIMIT: rateLimit.default({ requests: 1000, windowSeconds: 60 }), // per-project quota: set yours
  GOOGLE_HEALTH_API_USER_RATE_LIMIT: rateLimit.default({ requests: 100, windowSeconds: 60 }),
  POLAR_API_APP_RATE_LIMIT: rateLimit.default({ requests: 500, windowSeconds: 900 }), // Polar: 500 (+20 per user) per 15 minutes
  POLAR_API_USER_RATE_LIMIT: rateLimit.default({ requests: 20, windowSeconds: 900 }), // each user's share of that budget
  WITHINGS_API_APP_RATE_LIMIT: rateLimit.default({ requests: 120, windowSeconds: 60 }), // Withings: 120 a minute
  WITHINGS_API_USER_RATE_LIMIT: rateLimit.default({ requests: 120, windowSeconds: 60 }),
  GARMIN_API_APP_RATE_LIMIT: rateLimit.default({ requests: 100, windowSeconds: 60 }), // Garmin publishes none: a cautious guess
  GARMIN_API_USER_RATE_LIMIT: rateLimit.default({ requests: 100, windowSeconds: 60 }),
  /** `false` lifts every hydrate rate limit (benchmarks against the simulator only). */
  HYDRATE_RATE_LIMITS: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** The part of each vendor app's rate window that backfills may use; live notifications keep the rest. */
  HYDRATE_BACKFILL_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  /**
   * Backfill requests of one partition of hydrate.backfill fetched at once (each a week of pages),
   * in the backfill's own consumer group: live notifications never wait for them.
   */
  HYDRATE_BACKFILL_CONCURRENCY: z.coerce.number().int().positive().max(100).default(2),
  /** Notifications of one partition hydrated at once; records of one vendor user stay in order. */
  HYDRATE_RECORD_CONCURRENCY: z.coerce.number().int().positive().max(1_000).default(32),
  /** One vendor API request, in ms, before it counts as a failure (retried, then the breaker). */
  HYDRATE_REQUEST_TIMEOUT_MS: positiveMs.default(10_000), // ten seconds
  /** How long a vendor's breaker stays open after 5 consecutive failures, in ms. */
  HYDRATE_BREAKER_HALF_OPEN_MS: positiveMs.default(60_000), // one minute
};
