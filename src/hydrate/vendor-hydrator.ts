import type { HydratedVendorId } from '../topics.ts';
import type { JsonObject } from '../vendors/kit/payload-fields.ts';
import type { ApiGet } from '../vendors/kit/api-get.ts';
import type { SplitValue } from './record-size.ts';

/** What one verified record asks of the hydrate stage; decided from the body alone (pure). */
export type HydrationRequest<F> =
  /** Fetch `what` for the vendor user; the result goes on hydrated.<vendor>. */
  | { readonly kind: 'fetch'; readonly vendorUserId: string; readonly what: F }
  /** The vendor deleted a document: `value` names it and goes on with header `op: delete`. */
  | { readonly kind: 'delete'; readonly vendorUserId: string; readonly value: JsonObject }
  /** The body already carries its data (an inline document): forwarded unchanged. */
  | { readonly kind: 'carries-data' }
  /** A change to a kind of document normalize maps to no event: acknowledged and counted, nothing fetched or written. */
  | { readonly kind: 'unmapped' };

/** One id-only vendor: which notification needs which fetches, and how to make them. */
export interface VendorHydrator<F = unknown> {
  readonly vendor: HydratedVendorId;
  /**
   * What the notification's body asks for: a request per document it names (Garmin pings may name
   * several users), or `carries-data` alone. Unreadable bodies throw a RecordError.
   */
  read(body: Buffer | null): readonly HydrationRequest<F>[];
  /** The document(s) as hydrated.<vendor> carries them, read through `get` (one user's API). */
  fetch(what: F, get: ApiGet, vendorUserId: string): Promise<JsonObject>;
  /**
   * Every document of a window of days, each a value exactly as `fetch` makes it, so normalize
   * maps a backfill like live data. Absent: the vendor serves no history by date range.
   */
  backfill?(window: BackfillWindow, get: ApiGet, vendorUserId: string): Promise<JsonObject[]>;
  /**
   * A value of `fetch` or `backfill` too large for one record (more than `maxBytes` of JSON), as
   * values of at most that size which normalize maps each on its own to the events, and eventIds,
   * of the whole. Absent: a value is one record or, too large, a `record_too_large` dead letter.
   */
  readonly split?: SplitValue;
}

/** Days from `startDate` up to, not including, `endDate` (ISO dates, UTC). */
export interface BackfillWindow {
  readonly startDate: string;
  readonly endDate: string;
}

/** The value of a deletion record on hydrated.<vendor>: whose document, which type, which id. */
export function deletion(vendorUserId: string, type: string, id: string): JsonObject {
  return { user_id: vendorUserId, deleted: { type, id } };
}
