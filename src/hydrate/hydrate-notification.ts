import type { TokenSource } from '../connections/token-source.ts';
import type { JsonObject } from '../vendors/kit/payload-fields.ts';
import type { HydratedVendorId } from '../topics.ts';
import { ResourceGoneError } from '../vendors/kit/api-get.ts';
import type { RateLimits } from './rate-limits.ts';
import { fromTokens, revokedRecordError, userApi } from './user-api.ts';
import type { VendorHttp } from './vendor-http.ts';
import type { HydrationRequest, VendorHydrator } from './vendor-hydrator.ts';

/** What the hydrate stage needs per process: one HTTP client (and breaker) per vendor, tokens, limits. */
export interface Hydration {
  readonly hydrators: Readonly<Record<HydratedVendorId, VendorHydrator>>;
  readonly http: Readonly<Record<HydratedVendorId, VendorHttp>>;
  readonly tokens: TokenSource;
  readonly limits: RateLimits;
}

/** What became of one document a notification names. */
export type Hydrated =
  | { readonly kind: 'document'; readonly vendorUserId: string; readonly value: JsonObject }
  | { readonly kind: 'deleted'; readonly vendorUserId: string; readonly value: JsonObject }
  /** The vendor deleted the resource before we asked (404/410): acknowledged and counted. */
  | { readonly kind: 'gone'; readonly vendorUserId: string }
  /** The body already carries its data: it goes on unchanged. */
  | { readonly kind: 'carries-data' }
  /** A kind of document normalize maps to no event: acknowledged and counted. */
  | { readonly kind: 'unmapped' };

/**
 * One verified record of an id-only vendor → its documents, fetched with each user's connection,
 * in the order the notification names them. Failures are thrown for the stage's error policy: a
 * missing or revoked connection is the RecordError `connection_revoked` (redrivable after a
 * reconnect), one only a fix can make usable `connection_error` (redrivable once fixed); 429s,
 * exhausted rate limits and an open breaker are DependencyUnavailableErrors (pause); other vendor
 * failures were already retried below.
 */
export async function hydrateNotification(hydration: Hydration, vendor: HydratedVendorId, body: Buffer | null): Promise<Hydrated[]> {
  const hydrator = hydration.hydrators[vendor];
  const results: Hydrated[] = [];
  for (const request of hydrator.read(body)) results.push(await hydrate(hydration, vendor, hydrator, request));
  return results;
}

async function hydrate(hydration: Hydration, vendor: HydratedVendorId, hydrator: VendorHydrator, request: HydrationRequest<unknown>): Promise<Hydrated> {
  if (request.kind === 'carries-data' || request.kind === 'unmapped') return request;
  if (request.kind === 'delete') return { kind: 'deleted', vendorUserId: request.vendorUserId, value: request.value };
  const connection = await fromTokens(() => hydration.tokens.connectionFor(vendor, request.vendorUserId));
  // `error`: the vendor refused a refresh for another reason than a revoked grant (say, our client
  // secret mid-rotation). The user revoked nothing; the connection is tried (a refusal again is
  // `connection_error`), and the next refresh that succeeds makes it active again.
  if (connection === undefined || connection.status === 'revoked') throw revokedRecordError(vendor);
  const get = userApi(hydration.http[vendor], hydration.tokens, hydration.limits, connection);
  try {
    return { kind: 'document', vendorUserId: request.vendorUserId, value: await hydrator.fetch(request.what, get, request.vendorUserId) };
  } catch (error) {
    if (error instanceof ResourceGoneError) return { kind: 'gone', vendorUserId: request.vendorUserId };
    throw error;
  }
}
