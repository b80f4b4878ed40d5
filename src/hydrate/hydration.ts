import type { Redis } from 'ioredis';
import type { TokenSource } from '../connections/token-source.ts';
import type { BreakerState } from '../obs/breaker-state.ts';
import { withingsStatus } from '../vendors/withings/api.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../topics.ts';
import type { Hydration } from './hydrate-notification.ts';
import { garminHydrator } from './garmin.ts';
import { googleHealthHydrator } from './google-health.ts';
import { ouraHydrator } from './oura.ts';
import { polarHydrator } from './polar.ts';
import { redisRateLimits, unlimited, type RateLimits } from './rate-limits.ts';
import type { HydrateSettings } from './settings.ts';
import { createVendorHttp, type VendorHttp, type VendorHttpOptions } from './vendor-http.ts';
import type { VendorHydrator } from './vendor-hydrator.ts';
import { whoopHydrator } from './whoop.ts';
import { withingsHydrator } from './withings.ts';

/** The one place an id-only vendor's hydrator is registered. */
export const hydrators: Readonly<Record<HydratedVendorId, VendorHydrator>> = {
  oura: ouraHydrator as VendorHydrator,
  whoop: whoopHydrator as VendorHydrator,
  'google-health': googleHealthHydrator as VendorHydrator,
  polar: polarHydrator as VendorHydrator,
  withings: withingsHydrator as VendorHydrator,
  garmin: garminHydrator as VendorHydrator,
};

/** Vendors that report failures inside a 200 body. */
const inspectors: Partial<Record<HydratedVendorId, VendorHttpOptions['inspect']>> = { withings: withingsStatus };

export interface HydrationOptions {
  readonly settings: HydrateSettings;
  readonly tokens: TokenSource;
  /** Holds the shared rate-limit counters; unused when the settings lift the limits. */
  readonly redis?: Redis;
  /** Rate limits to use instead of the settings' (tests, benchmarks). */
  readonly limits?: RateLimits;
  /** Overrides of the vendor HTTP clients' retry timing (tests). */
  readonly http?: Partial<Omit<VendorHttpOptions, 'vendor' | 'baseUrl'>>;
  /** Told of every breaker transition, per vendor dependency (`oura-api`…). */
  readonly onBreakerStateChange?: (dependency: string, state: BreakerState) => void;
  /** Told of every vendor API attempt's outcome (metrics). */
  readonly onResponse?: (vendor: HydratedVendorId, status: number | 'error') => void;
}

/** One process's hydration: an HTTP client and breaker per vendor, the token source, the limits. */
export function createHydration(options: HydrationOptions): Hydration {
  const { settings } = options;
  const http = Object.fromEntries(
    hydratedVendorIds.map((vendor) => [
      vendor,
      createVendorHttp({
        vendor,
        baseUrl: settings.baseUrls[vendor],
        timeoutMs: settings.requestTimeoutMs,
        halfOpenAfterMs: settings.breakerHalfOpenMs,
        ...(inspectors[vendor] ? { inspect: inspectors[vendor] } : {}),
        ...options.http,
        ...(options.onBreakerStateChange ? { onBreakerStateChange: (state: BreakerState) => options.onBreakerStateChange!(`${vendor}-api`, state) } : {}),
        ...(options.onResponse ? { onResponse: (status: number | 'error') => options.onResponse!(vendor, status) } : {}),
      }),
    ]),
  ) as Record<HydratedVendorId, VendorHttp>;
  let limits = options.limits ?? unlimited;
  if (options.limits === undefined && settings.rateLimits !== undefined) {
    if (options.redis === undefined) throw new Error('hydrate rate limits need Redis; pass redis or set HYDRATE_RATE_LIMITS=false');
    limits = redisRateLimits(options.redis, settings.rateLimits, { backfillShare: settings.backfillShare });
  }
  return { hydrators, http, tokens: options.tokens, limits };
}
