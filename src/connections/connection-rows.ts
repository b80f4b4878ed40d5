import type pg from 'pg';
import { vendorIds, type VendorId } from '../config/schema.ts';
import type { TokenCipher } from './token-cipher.ts';
import type { Connection } from './token-source.ts';

/** A connection as operators see it: everything but the tokens. */
export interface ConnectionSummary extends Connection {
  readonly connectedAt: Date;
  readonly disconnectedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  readonly lastRefreshAt: Date | undefined;
  readonly lastError: string | undefined;
  readonly hasAccessToken: boolean;
  readonly hasRefreshToken: boolean;
  readonly tokenKeyId: string | undefined;
}

/** The columns every non-secret read selects, so no query can pick a token column by accident. */
export const summaryColumns = `id, vendor, vendor_user_id, user_id, status, scopes, connected_at, disconnected_at,
  expires_at, last_refresh_at, last_error, token_key_id,
  access_token IS NOT NULL AS has_access_token, refresh_token IS NOT NULL AS has_refresh_token`;

export interface SummaryRow {
  id: string;
  vendor: string;
  vendor_user_id: string;
  user_id: string;
  status: 'active' | 'revoked' | 'error';
  scopes: string[];
  connected_at: Date;
  disconnected_at: Date | null;
  expires_at: Date | null;
  last_refresh_at: Date | null;
  last_error: string | null;
  token_key_id: string | null;
  has_access_token: boolean;
  has_refresh_token: boolean;
}

export function isVendorId(value: string): value is VendorId {
  return (vendorIds as readonly string[]).includes(value);
}

export function toSummary(row: SummaryRow): ConnectionSummary {
  if (!isVendorId(row.vendor)) throw new Error(`vendor_connections row ${row.id} names an unknown vendor`);
  return {
    id: row.id,
    vendor: row.vendor,
    userId: row.user_id,
    vendorUserId: row.vendor_user_id,
    status: row.status,
    scopes: row.scopes,
    connectedAt: row.connected_at,
    disconnectedAt: row.disconnected_at ?? undefined,
    expiresAt: row.expires_at ?? undefined,
    lastRefreshAt: row.last_refresh_at ?? undefined,
    lastError: row.last_error ?? undefined,
    hasAccessToken: row.has_access_token,
    hasRefreshToken: row.has_refresh_token,
    tokenKeyId: row.token_key_id ?? undefined,
  };
}

/** Associated data of a token envelope: the row's key and the column, so envelopes cannot be swapped. */
export function tokenBinding(vendor: string, vendorUserId: string, column: 'access' | 'refresh'): string {
  return `${vendor}\n${vendorUserId}\n${column}`;
}

export interface NewTokens {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly expiresAt?: Date;
}

/** The encrypted column values for a set of tokens. */
export function sealTokens(cipher: TokenCipher, vendor: string, vendorUserId: string, tokens: NewTokens) {
  return {
    access: cipher.encrypt(tokens.accessToken, tokenBinding(vendor, vendorUserId, 'access')),
    refresh: tokens.refreshToken === undefined ? null : cipher.encrypt(tokens.refreshToken, tokenBinding(vendor, vendorUserId, 'refresh')),
    keyId: cipher.currentKeyId,
  };
}

export interface SaveConnection {
  readonly vendor: VendorId;
  readonly vendorUserId: string;
  readonly userId: string;
  readonly scopes: readonly string[];
  readonly tokens: NewTokens;
}

/**
 * Inserts or reconnects one connection. The newest consent wins: a vendor account connected again
 * (by the same or another of our users) becomes active with the new tokens and owner.
 */
export async function saveConnection(db: pg.Pool | pg.PoolClient, cipher: TokenCipher, connection: SaveConnection): Promise<Connection> {
  const sealed = sealTokens(cipher, connection.vendor, connection.vendorUserId, connection.tokens);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO vendor_connections
       (vendor, vendor_user_id, user_id, status, scopes, access_token, refresh_token, token_key_id, expires_at, connected_at, updated_at)
     VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, now(), now())
     ON CONFLICT (vendor, vendor_user_id) DO UPDATE SET
       user_id = EXCLUDED.user_id, status = 'active', scopes = EXCLUDED.scopes,
       access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
       token_key_id = EXCLUDED.token_key_id, expires_at = EXCLUDED.expires_at,
       connected_at = now(), disconnected_at = NULL, last_error = NULL, updated_at = now()
     RETURNING id`,
    [connection.vendor, connection.vendorUserId, connection.userId, [...connection.scopes], sealed.access, sealed.refresh, sealed.keyId, connection.tokens.expiresAt ?? null],
  );
  return {
    id: rows[0]!.id,
    vendor: connection.vendor,
    userId: connection.userId,
    vendorUserId: connection.vendorUserId,
    status: 'active',
    scopes: connection.scopes,
  };
}

/**
 * Marks a connection revoked (the user withdrew consent, the grant died, or an operator said so)
 * and drops its tokens: they are useless now and not worth keeping encrypted. `disconnected_at`
 * is set too, so verify stops trusting the user's unsigned webhooks. False when nothing matched.
 */
export async function revokeConnectionRow(db: pg.Pool | pg.PoolClient, vendor: VendorId, vendorUserId: string, reason: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE vendor_connections
        SET status = 'revoked', disconnected_at = coalesce(disconnected_at, now()), last_error = $3,
            access_token = NULL, refresh_token = NULL, token_key_id = NULL, expires_at = NULL, updated_at = now()
      WHERE vendor = $1 AND vendor_user_id = $2 AND status <> 'revoked'`,
    [vendor, vendorUserId, reason],
  );
  return (result.rowCount ?? 0) > 0;
}

export interface ConnectionFilter {
  readonly vendor?: VendorId;
  readonly status?: Connection['status'];
  readonly userId?: string;
}

export async function listConnections(db: pg.Pool, filter: ConnectionFilter = {}): Promise<ConnectionSummary[]> {
  const { rows } = await db.query<SummaryRow>(
    `SELECT ${summaryColumns} FROM vendor_connections
      WHERE ($1::text IS NULL OR vendor = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR user_id = $3)
      ORDER BY vendor, connected_at`,
    [filter.vendor ?? null, filter.status ?? null, filter.userId ?? null],
  );
  return rows.map(toSummary);
}

export async function findConnection(db: pg.Pool, vendor: VendorId, vendorUserId: string): Promise<ConnectionSummary | undefined> {
  const { rows } = await db.query<SummaryRow>(`SELECT ${summaryColumns} FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2`, [vendor, vendorUserId]);
  return rows[0] === undefined ? undefined : toSummary(rows[0]);
}
