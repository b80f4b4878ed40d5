/**
 * The hydrate stage's domain side: id-only vendor notifications → the vendor documents they name.
 * The graph is topologies/hydrate.ts; src/app/stages/hydrate.ts is its production wiring.
 */
export { ResourceGoneError, type ApiGet } from '../vendors/kit/api-get.ts';
export { hydrateNotification, type Hydrated, type Hydration } from './hydrate-notification.ts';
export { createHydration, hydrators, type HydrationOptions } from './hydration.ts';
export { redisRateLimits, unlimited, type RateLimit, type RateLimits, type VendorRateLimits } from './rate-limits.ts';
export { hydrateSettings, type HydrateSettings } from './settings.ts';
export { connectionError, connectionRevoked } from './user-api.ts';
export { recordTooLarge, splitList, valuesWithin, type SplitValue } from './record-size.ts';
export { vendorWaitMs } from './retry-after.ts';
export { createVendorHttp, type VendorHttp, type VendorHttpOptions } from './vendor-http.ts';
export { deletion, type HydrationRequest, type VendorHydrator } from './vendor-hydrator.ts';
