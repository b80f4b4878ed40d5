import type pg from 'pg';
import { tokenBinding } from './connection-rows.ts';
import type { TokenCipher } from './token-cipher.ts';

export interface RekeyResult {
  readonly rekeyed: number;
  readonly alreadyCurrent: number;
  /** Rows a process still configured with an older key re-sealed meanwhile (a refresh): run again after restarting it. */
  readonly remaining: number;
}

/**
 * Re-encrypts every token not under the newest key, a batch per transaction. Rows are locked as a
 * refresh locks them (a row being refreshed is waited for, not skipped), so neither overwrites the
 * other. Once it reports nothing remaining, the old key can leave TOKEN_ENCRYPTION_KEYS.
 */
export async function rekeyTokens(pool: pg.Pool, cipher: TokenCipher, batchSize = 500): Promise<RekeyResult> {
  let rekeyed = 0;
  for (;;) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; vendor: string; vendor_user_id: string; access_token: string | null; refresh_token: string | null }>(
        `SELECT id, vendor, vendor_user_id, access_token, refresh_token FROM vendor_connections
          WHERE token_key_id IS DISTINCT FROM $1 AND (access_token IS NOT NULL OR refresh_token IS NOT NULL)
          LIMIT $2 FOR UPDATE`,
        [cipher.currentKeyId, batchSize],
      );
      for (const row of rows) {
        const reseal = (envelope: string | null, column: 'access' | 'refresh') => {
          if (envelope === null) return null;
          const binding = tokenBinding(row.vendor, row.vendor_user_id, column);
          return cipher.encrypt(cipher.decrypt(envelope, binding), binding);
        };
        await client.query('UPDATE vendor_connections SET access_token = $2, refresh_token = $3, token_key_id = $4, updated_at = now() WHERE id = $1', [
          row.id,
          reseal(row.access_token, 'access'),
          reseal(row.refresh_token, 'refresh'),
          cipher.currentKeyId,
        ]);
      }
      await client.query('COMMIT');
      rekeyed += rows.length;
      if (rows.length < batchSize) break;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined); // the original error is the one to report
      throw error;
    } finally {
      client.release();
    }
  }
  const { rows } = await pool.query<{ current: string; other: string }>(
    `SELECT count(*) FILTER (WHERE token_key_id = $1) AS current, count(*) FILTER (WHERE token_key_id <> $1) AS other
       FROM vendor_connections WHERE token_key_id IS NOT NULL`,
    [cipher.currentKeyId],
  );
  return { rekeyed, alreadyCurrent: Number(rows[0]?.current ?? 0) - rekeyed, remaining: Number(rows[0]?.other ?? 0) };
}
