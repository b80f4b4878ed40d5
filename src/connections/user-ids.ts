import type pg from 'pg';
import type { VendorId } from '../config/schema.ts';

/** Our user id behind a vendor's user id: what events carry once a connection maps the user. */
export interface UserIdDirectory {
  /** Undefined when no connection ever mapped this vendor user. */
  userIdFor(vendor: VendorId, vendorUserId: string): Promise<string | undefined>;
}

/**
 * Postgres-backed, cached like verify's connection directory: a push of hundreds of summaries for
 * one user costs one query, a new connection is seen within `cacheTtlMs`. A revoked connection
 * still maps: data the vendor produced before the revocation belongs to the same person.
 */
export function postgresUserIds(pool: pg.Pool, cacheTtlMs = 30_000): UserIdDirectory {
  const cache = new Map<string, { userId: string | undefined; until: number }>();
  return {
    async userIdFor(vendor, vendorUserId) {
      const key = `${vendor}\u0000${vendorUserId}`;
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.userId;
      const { rows } = await pool.query<{ user_id: string }>('SELECT user_id FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2', [vendor, vendorUserId]);
      const userId = rows[0]?.user_id;
      if (cache.size > 100_000) cache.clear(); // bounded memory; a refill costs one query per user
      cache.set(key, { userId, until: now + cacheTtlMs });
      return userId;
    },
  };
}
