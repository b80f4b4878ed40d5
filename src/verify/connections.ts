import type pg from 'pg';

/** The users connected to a vendor (table `vendor_connections`, src/connections/migrations). */
export interface ConnectionDirectory {
  isConnected(vendor: string, vendorUserId: string): Promise<boolean>;
}

/**
 * Postgres-backed directory with a short cache: a push of hundreds of summaries for one user
 * costs one query, and a new connection is seen within `cacheTtlMs`.
 */
export function postgresConnectionDirectory(pool: pg.Pool, cacheTtlMs = 30_000): ConnectionDirectory {
  const cache = new Map<string, { connected: boolean; until: number }>();
  return {
    async isConnected(vendor, vendorUserId) {
      const key = `${vendor}\u0000${vendorUserId}`;
      const now = Date.now();
      const hit = cache.get(key);
      if (hit && hit.until > now) return hit.connected;
      const result = await pool.query(
        'SELECT 1 FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2 AND disconnected_at IS NULL',
        [vendor, vendorUserId],
      );
      const connected = (result.rowCount ?? 0) > 0;
      if (cache.size > 100_000) cache.clear(); // bounded memory; a refill costs one query per user
      cache.set(key, { connected, until: now + cacheTtlMs });
      return connected;
    },
  };
}

export function memoryConnectionDirectory(connected: Iterable<[vendor: string, vendorUserId: string]>): ConnectionDirectory {
  const set = new Set([...connected].map(([vendor, id]) => `${vendor}\u0000${id}`));
  return { isConnected: async (vendor, id) => set.has(`${vendor}\u0000${id}`) };
}
