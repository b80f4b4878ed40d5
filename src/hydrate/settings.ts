import type { Env } from '../config/index.ts';
import type { HydratedVendorId } from '../topics.ts';
import type { VendorRateLimits } from './rate-limits.ts';

/** Hydrate's settings per vendor, read from the validated environment (docs: README Configuration). */
export interface HydrateSettings {
  readonly baseUrls: Readonly<Record<HydratedVendorId, string>>;
  /** Undefined when HYDRATE_RATE_LIMITS=false. */
  readonly rateLimits: Readonly<Record<HydratedVendorId, VendorRateLimits>> | undefined;
  /** The part of each app rate window a backfill may use (HYDRATE_BACKFILL_SHARE). */
  readonly backfillShare: number;
  readonly requestTimeoutMs: number;
  readonly breakerHalfOpenMs: number;
}

export function hydrateSettings(config: Readonly<Env>): HydrateSettings {
  return {
    baseUrls: {
      oura: config.OURA_API_BASE_URL,
      whoop: config.WHOOP_API_BASE_URL,
      'google-health': config.GOOGLE_HEALTH_API_BASE_URL,
      polar: config.POLAR_API_BASE_URL,
      withings: config.WITHINGS_API_BASE_URL,
      garmin: config.GARMIN_API_BASE_URL,
    },
    rateLimits: config.HYDRATE_RATE_LIMITS
      ? {
          oura: { app: config.OURA_API_APP_RATE_LIMIT, user: config.OURA_API_USER_RATE_LIMIT },
          whoop: { app: config.WHOOP_API_APP_RATE_LIMIT, user: config.WHOOP_API_USER_RATE_LIMIT },
          'google-health': { app: config.GOOGLE_HEALTH_API_APP_RATE_LIMIT, user: config.GOOGLE_HEALTH_API_USER_RATE_LIMIT },
          polar: { app: config.POLAR_API_APP_RATE_LIMIT, user: config.POLAR_API_USER_RATE_LIMIT },
          withings: { app: config.WITHINGS_API_APP_RATE_LIMIT, user: config.WITHINGS_API_USER_RATE_LIMIT },
          garmin: { app: config.GARMIN_API_APP_RATE_LIMIT, user: config.GARMIN_API_USER_RATE_LIMIT },
        }
      : undefined,
    backfillShare: config.HYDRATE_BACKFILL_SHARE,
    requestTimeoutMs: config.HYDRATE_REQUEST_TIMEOUT_MS,
    breakerHalfOpenMs: config.HYDRATE_BREAKER_HALF_OPEN_MS,
  };
}
