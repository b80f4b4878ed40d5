import { RecordError } from '../streams/errors.ts';
import { ResourceGoneError } from '../vendors/kit/api-get.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../topics.ts';
import { isObject, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { hydrators } from './hydration.ts';
import type { Hydration } from './hydrate-notification.ts';
import { fromTokens, revokedRecordError, userApi } from './user-api.ts';
import type { BackfillWindow } from './vendor-hydrator.ts';

/** One user's history to fetch: the record on `hydrate.backfill`, keyed `<vendor>:<vendor user id>`. */
export interface BackfillRequest extends BackfillWindow {
  readonly vendor: HydratedVendorId;
  readonly vendorUserId: string;
}

export const defaultBackfillDays = 30;
export const maxBackfillDays = 365;

/** Vendors whose API lists a user's documents by date range (a hydrator with `backfill`). */
export const backfillVendors: readonly HydratedVendorId[] = hydratedVendorIds.filter((vendor) => hydrators[vendor].backfill !== undefined);

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` days up to and including today (UTC). */
export function backfillWindow(days: number, now = Date.now()): BackfillWindow {
  if (!Number.isInteger(days) || days < 1 || days > maxBackfillDays) throw new RangeError(`days must be a whole number from 1 to ${maxBackfillDays}, not ${days}`);
  const tomorrow = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate() + 1);
  return { startDate: isoDate(tomorrow - days * 86_400_000), endDate: isoDate(tomorrow) };
}

/**
 * A window cut into requests of at most `days` days, oldest first. A request is fetched whole or
 * tried again whole (after a 429 or an exhausted budget), so each must need few enough requests to
 * fit in a rate window: a week is a page or two per collection at every vendor here.
 */
export function backfillChunks(window: BackfillWindow, days = 7): BackfillWindow[] {
  const chunks: BackfillWindow[] = [];
  const end = Date.parse(`${window.endDate}T00:00:00Z`);
  for (let start = Date.parse(`${window.startDate}T00:00:00Z`); start < end; start += days * 86_400_000) {
    chunks.push({ startDate: isoDate(start), endDate: isoDate(Math.min(end, start + days * 86_400_000)) });
  }
  return chunks;
}

/** The records that ask for a user's last `days` days: a week per record (backfillChunks). */
export function backfillMessages(vendor: HydratedVendorId, vendorUserId: string, days: number, now = Date.now()): { key: string; value: Buffer }[] {
  return backfillChunks(backfillWindow(days, now)).map((chunk) => backfillRecord({ vendor, vendorUserId, ...chunk }));
}

export function backfillRecord(request: BackfillRequest): { key: string; value: Buffer } {
  const { vendor, vendorUserId, startDate, endDate } = request;
  return { key: `${vendor}:${vendorUserId}`, value: Buffer.from(JSON.stringify({ vendor, vendor_user_id: vendorUserId, start_date: startDate, end_date: endDate })) };
}

export function readBackfillRequest(value: Buffer | null): BackfillRequest {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? '');
  } catch (error) {
    throw new RecordError('malformed_backfill_request', 'backfill request is not JSON', { cause: error });
  }
  const vendor = stringAt(json, 'vendor');
  const vendorUserId = stringAt(json, 'vendor_user_id');
  const startDate = stringAt(json, 'start_date');
  const endDate = stringAt(json, 'end_date');
  const date = /^\d{4}-\d{2}-\d{2}$/;
  if (!isObject(json) || vendorUserId === undefined || !date.test(startDate ?? '') || !date.test(endDate ?? '') || startDate! >= endDate!) {
    throw new RecordError('malformed_backfill_request', 'backfill request needs vendor, vendor_user_id and start_date before end_date (YYYY-MM-DD)');
  }
  if (!(backfillVendors as readonly string[]).includes(vendor ?? '')) {
    throw new RecordError('unsupported_backfill', `${(vendor ?? 'unknown').slice(0, 20)} serves no history by date range`);
  }
  return { vendor: vendor as HydratedVendorId, vendorUserId, startDate: startDate!, endDate: endDate! };
}

/**
 * Every document of the request's window, in the shape live hydration writes, fetched with the
 * user's connection on the `backfill` lane of the rate limits. Failures are those of live
 * hydration: a revoked connection is `connection_revoked`, an unusable one `connection_error`; a
 * 429 or an exhausted share pauses.
 */
export async function backfillDocuments(hydration: Hydration, request: BackfillRequest): Promise<JsonObject[]> {
  const hydrator = hydration.hydrators[request.vendor];
  if (hydrator.backfill === undefined) throw new RecordError('unsupported_backfill', `${request.vendor} serves no history by date range`);
  const connection = await fromTokens(() => hydration.tokens.connectionFor(request.vendor, request.vendorUserId));
  if (connection === undefined || connection.status === 'revoked') throw revokedRecordError(request.vendor);
  const get = userApi(hydration.http[request.vendor], hydration.tokens, hydration.limits, connection, 'backfill');
  try {
    return await hydrator.backfill(request, get, request.vendorUserId);
  } catch (error) {
    // A list endpoint has no document to lose; a 404 there is a path or scope the vendor refuses.
    if (error instanceof ResourceGoneError) throw new RecordError('backfill_not_found', `${request.vendor} answered 404 to a history list`, { cause: error });
    throw error;
  }
}
