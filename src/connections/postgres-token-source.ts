import type pg from 'pg';
import type { VendorId } from '../config/schema.ts';
import type { Logger } from '../obs/logger.ts';
import type { ConnectionMetrics } from './metrics.ts';
import { revokeConnectionRow, sealTokens, tokenBinding } from './connection-rows.ts';
import { refreshGrant, type OAuthClientCredentials } from './oauth-client.ts';
import { OAuthGrantError, VendorAnswerError } from './oauth-errors.ts';
import { TokenCipherError, type TokenCipher } from './token-cipher.ts';
import { ConnectionRevokedError, ConnectionUnusableError, type Connection, type TokenSource } from './token-source.ts';
import type { VendorOAuth } from './vendor-oauth.ts';

/** One vendor app the bridge can refresh tokens with. */
export interface VendorClient {
  readonly oauth: VendorOAuth;
  readonly credentials: OAuthClientCredentials;
}

export type VendorClients = ReadonlyMap<VendorId, VendorClient>;

export interface PostgresTokenSourceOptions {
  readonly pool: pg.Pool;
  readonly cipher: TokenCipher;
  readonly clients: VendorClients;
  readonly logger: Logger;
  /** Refresh when the token expires within this many ms. */
  readonly refreshMarginMs?: number;
  readonly metrics?: ConnectionMetrics;
}

/** What a refusal by the token endpoint says, for a dead letter: the status and the error code only. */
function refusal(error: OAuthGrantError | VendorAnswerError): string {
  if (error instanceof VendorAnswerError) return 'the token endpoint answered a refresh without a usable token';
  return `the token endpoint refused a refresh (${error.status} ${error.code})`;
}

interface TokenRow {
  status: Connection['status'];
  access_token: string | null;
  refresh_token: string | null;
  expires_at: Date | null;
}

/**
 * Tokens from `vendor_connections`, refreshed single-flight: within a process one promise per
 * connection, across processes the row lock (`SELECT … FOR UPDATE`) held while the vendor is
 * asked. A process that waited on the lock re-reads the row and finds the token another process
 * already refreshed, so a rotated refresh token is used once and never overwritten by a stale one.
 */
export function createPostgresTokenSource(options: PostgresTokenSourceOptions): TokenSource {
  const { pool, cipher, clients } = options;
  const margin = options.refreshMarginMs ?? 60_000; // one minute
  const log = options.logger.child({ component: 'connections' });
  // Decrypted access tokens while fresh: hydrate asks once per fetch, Postgres once per token.
  const fresh = new Map<string, { token: string; untilMs: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const count: ConnectionMetrics['refresh'] = (vendor, outcome) => options.metrics?.refresh(vendor, outcome);

  // A token no configured key opens is no outage: waiting cannot fix it, a key in
  // TOKEN_ENCRYPTION_KEYS can. The cipher's messages name a key id, never a token.
  const unseal = (connection: Connection, envelope: string, column: 'access' | 'refresh') => {
    try {
      return cipher.decrypt(envelope, tokenBinding(connection.vendor, connection.vendorUserId, column));
    } catch (error) {
      if (!(error instanceof TokenCipherError)) throw error;
      throw new ConnectionUnusableError(connection.vendor, `its ${column} token does not decrypt: ${error.message}`, { cause: error });
    }
  };
  const decryptAccess = (connection: Connection, envelope: string) => unseal(connection, envelope, 'access');
  const isFresh = (expiresAt: Date | null, now: number) => expiresAt === null || expiresAt.getTime() - margin > now;
  const remember = (connection: Connection, token: string, expiresAt: Date | null) => {
    if (fresh.size > 100_000) fresh.clear(); // bounded memory; a miss costs one query
    fresh.set(connection.id, { token, untilMs: expiresAt === null ? Date.now() + 3_600_000 : expiresAt.getTime() - margin });
  };

  async function lockedRefresh(connection: Connection, rejectedToken: string | undefined): Promise<string> {
    const client = await pool.connect();
    let open = false;
    const revoke = async (reason: string, cause?: unknown): Promise<never> => {
      await revokeConnectionRow(client, connection.vendor, connection.vendorUserId, reason);
      await client.query('COMMIT');
      open = false;
      fresh.delete(connection.id);
      count(connection.vendor, 'revoked');
      log.warn({ vendor: connection.vendor, connectionId: connection.id, reason }, 'connection revoked');
      throw new ConnectionRevokedError(connection.vendor, cause === undefined ? undefined : { cause });
    };
    try {
      await client.query('BEGIN');
      open = true;
      const { rows } = await client.query<TokenRow>(
        'SELECT status, access_token, refresh_token, expires_at FROM vendor_connections WHERE id = $1 FOR UPDATE',
        [connection.id],
      );
      const row = rows[0];
      if (row === undefined || row.status === 'revoked' || row.access_token === null) {
        await client.query('COMMIT');
        open = false;
        throw new ConnectionRevokedError(connection.vendor);
      }
      const current = decryptAccess(connection, row.access_token);
      const alreadyDone = rejectedToken === undefined ? isFresh(row.expires_at, Date.now()) : current !== rejectedToken;
      if (alreadyDone) {
        await client.query('COMMIT');
        open = false;
        count(connection.vendor, 'joined');
        remember(connection, current, row.expires_at);
        return current;
      }
      if (row.refresh_token === null) {
        // Polar-style long-lived tokens: nothing to refresh with. Expiry alone is not proof the
        // vendor refuses it; a 401 is.
        if (rejectedToken === undefined) {
          await client.query('COMMIT');
          open = false;
          remember(connection, current, null);
          return current;
        }
        return await revoke('unauthorized_without_refresh_token');
      }
      const vendorClient = clients.get(connection.vendor);
      if (vendorClient === undefined) throw new ConnectionUnusableError(connection.vendor, `no OAuth client is configured for ${connection.vendor}: set its CLIENT_ID and CLIENT_SECRET`);
      const refreshToken = unseal(connection, row.refresh_token, 'refresh');
      let grant;
      try {
        grant = await refreshGrant(vendorClient.oauth, vendorClient.credentials, refreshToken);
      } catch (error) {
        if (error instanceof OAuthGrantError && error.code === 'invalid_grant') {
          return await revoke('invalid_grant', error);
        }
        // A refusal (or an answer without a token) comes again on the next try: only a fix of our
        // app or the vendor's helps. A 429, 5xx or timeout is the endpoint being away for a while.
        const refused = error instanceof OAuthGrantError || error instanceof VendorAnswerError ? error : undefined;
        await client.query('UPDATE vendor_connections SET last_error = $2, status = $3, updated_at = now() WHERE id = $1', [
          connection.id,
          (error as Error).message.slice(0, 200),
          refused ? 'error' : 'active',
        ]);
        await client.query('COMMIT');
        open = false;
        count(connection.vendor, refused ? 'refused' : 'unavailable');
        if (refused) throw new ConnectionUnusableError(connection.vendor, refusal(refused), { cause: error });
        throw error;
      }
      // From here until COMMIT a rotating vendor has already retired the old refresh token: if
      // Postgres fails now, the new one is lost and the user must reconnect (no order avoids it).
      const expiresAt = grant.expiresInSeconds === undefined ? null : new Date(Date.now() + grant.expiresInSeconds * 1000);
      // A vendor that does not rotate sends no new refresh token: the old one stays (re-sealed
      // under the current key, so one row never mixes keys).
      const sealed = sealTokens(cipher, connection.vendor, connection.vendorUserId, {
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken ?? refreshToken,
      });
      await client.query(
        `UPDATE vendor_connections
            SET access_token = $2, refresh_token = $3, token_key_id = $4, expires_at = $5,
                last_refresh_at = now(), last_error = NULL, status = 'active', updated_at = now()
          WHERE id = $1`,
        [connection.id, sealed.access, sealed.refresh, sealed.keyId, expiresAt],
      );
      await client.query('COMMIT');
      open = false;
      remember(connection, grant.accessToken, expiresAt);
      count(connection.vendor, 'refreshed');
      log.info({ vendor: connection.vendor, connectionId: connection.id }, 'access token refreshed');
      return grant.accessToken;
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined); // the connection is released either way
      client.release();
    }
  }

  function refresh(connection: Connection, rejectedToken: string | undefined): Promise<string> {
    const running = inFlight.get(connection.id);
    if (running !== undefined) return running;
    const started = lockedRefresh(connection, rejectedToken).finally(() => inFlight.delete(connection.id));
    inFlight.set(connection.id, started);
    return started;
  }

  return {
    async connectionFor(vendor, vendorUserId) {
      const { rows } = await pool.query<{ id: string; user_id: string; status: Connection['status']; scopes: string[] }>(
        `SELECT id, user_id, status, scopes FROM vendor_connections
          WHERE vendor = $1 AND vendor_user_id = $2 AND status <> 'revoked' AND disconnected_at IS NULL`,
        [vendor, vendorUserId],
      );
      const row = rows[0];
      return row === undefined ? undefined : { id: row.id, vendor, userId: row.user_id, vendorUserId, status: row.status, scopes: row.scopes };
    },

    async accessToken(connection) {
      const cached = fresh.get(connection.id);
      if (cached !== undefined && cached.untilMs > Date.now()) return cached.token;
      const { rows } = await pool.query<TokenRow>('SELECT status, access_token, refresh_token, expires_at FROM vendor_connections WHERE id = $1', [connection.id]);
      const row = rows[0];
      if (row === undefined || row.status === 'revoked' || row.access_token === null) throw new ConnectionRevokedError(connection.vendor);
      if (isFresh(row.expires_at, Date.now())) {
        const token = decryptAccess(connection, row.access_token);
        remember(connection, token, row.expires_at);
        return token;
      }
      return refresh(connection, undefined);
    },

    async refreshAfterUnauthorized(connection, rejectedToken) {
      const cached = fresh.get(connection.id);
      if (cached?.token === rejectedToken) fresh.delete(connection.id);
      return refresh(connection, rejectedToken);
    },
  };
}
