import type { TokenSource } from '../../../src/connections/token-source.ts';
import type { Hydration } from '../../../src/hydrate/hydrate-notification.ts';
import { createHydration } from '../../../src/hydrate/hydration.ts';
import type { RateLimits } from '../../../src/hydrate/rate-limits.ts';
import type { VendorHttpOptions } from '../../../src/hydrate/vendor-http.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../../../src/topics.ts';
import type { VendorApiSim } from './api-server.ts';

/** The stage's hydration with every vendor pointed at the simulator (`sim.baseUrl`); fast retries, no limits unless given. */
export function simHydration(baseUrl: VendorApiSim['baseUrl'], tokens: TokenSource, options: { limits?: RateLimits; http?: Partial<VendorHttpOptions> } = {}): Hydration {
  return createHydration({
    settings: {
      baseUrls: Object.fromEntries(hydratedVendorIds.map((vendor) => [vendor, baseUrl(vendor)])) as Record<HydratedVendorId, string>,
      rateLimits: undefined,
      backfillShare: 0.5,
      requestTimeoutMs: 10_000, // ten seconds
      breakerHalfOpenMs: 60_000, // one minute
    },
    tokens,
    ...(options.limits ? { limits: options.limits } : {}),
    http: { initialDelayMs: 1, maxDelayMs: 1, ...options.http },
  });
}
