import type pg from 'pg';
import type { VendorId } from '../config/schema.ts';

/** Our user id behind a vendor's user id: what events carry once a connection maps the user. */
export interface UserIdDirectory {
  /** Undefined when no connection ever mapped this vendor user. */
  userIdFor(vendor: VendorId, vendorUserId: string): Promise<string | undefined>;
}

const maxEntries = 100_000; // bounded memory; a refill costs one query per user

/**
 * Postgres-backed with a short cache, as verify's connection directory: a push of hundreds of
 * summaries for one user costs one query, a new connection is seen within `cacheTtlMs`. A revoked
 * connection still maps: data the vendor produced before the revocation is the same person's.
 */
export function postgresUserIds(pool: pg.Pool, cacheTtlMs = 30_000): UserIdDirectory {
  const answers = new Map<string, { readonly userId: string | undefined; readonly expiresAtMs: number }>();

  async function lookup(vendor: VendorId, vendorUserId: string): Promise<string | undefined> {
    const { rows } = await pool.query<{ user_id: string }>('SELECT user_id FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2', [vendor, vendorUserId]);
    return rows[0]?.user_id;
  }

  return {
    async userIdFor(vendor, vendorUserId) {
      const cacheKey = JSON.stringify([vendor, vendorUserId]);
      const cached = answers.get(cacheKey);
      if (cached !== undefined && cached.expiresAtMs > Date.now()) return cached.userId;
      const userId = await lookup(vendor, vendorUserId);
      if (answers.size >= maxEntries) answers.clear();
      answers.set(cacheKey, { userId, expiresAtMs: Date.now() + cacheTtlMs });
      return userId;
    },
  };
}
