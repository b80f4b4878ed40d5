import type { VendorId } from '../config/schema.ts';

/** One user's link to one vendor account (table `vendor_connections`). */
export interface Connection {
  readonly id: string;
  readonly vendor: VendorId;
  /** Our user id: what events carry once a connection maps the vendor's user. */
  readonly userId: string;
  readonly vendorUserId: string;
  readonly status: 'active' | 'revoked' | 'error';
  readonly scopes: readonly string[];
}

/**
 * What the hydrate stage needs of the connections module: the connection behind a vendor user
 * and a usable access token for it. Tokens never leave this interface's callers except in the
 * `Authorization` header of a vendor API request.
 */
export interface TokenSource {
  /** The active connection of a vendor user, or undefined when none exists or it is revoked. */
  connectionFor(vendor: VendorId, vendorUserId: string): Promise<Connection | undefined>;
  /**
   * A valid access token, refreshed first when it expires within a minute (single-flight across
   * processes). Throws as `refreshAfterUnauthorized` does.
   */
  accessToken(connection: Connection): Promise<string>;
  /**
   * After the vendor answered 401 to `rejectedToken`: refresh once (single-flight across
   * processes; a concurrent caller that already refreshed gets the new token) and return it.
   * Throws ConnectionRevokedError when the grant is gone (`invalid_grant`), ConnectionUnusableError
   * when only a fix can help, VendorUnavailableError (src/connections/oauth-errors.ts) when the
   * vendor's token endpoint cannot answer now; any other error is the connections' store failing.
   */
  refreshAfterUnauthorized(connection: Connection, rejectedToken: string): Promise<string>;
}

/** The user revoked access (or the grant expired): only a reconnect brings the connection back. */
export class ConnectionRevokedError extends Error {
  readonly vendor: VendorId;
  constructor(vendor: VendorId, options?: ErrorOptions) {
    super(`the ${vendor} connection is revoked; the user must reconnect`, options);
    this.name = 'ConnectionRevokedError';
    this.vendor = vendor;
  }
}

/**
 * The connection cannot be used, and waiting will not change that: its tokens do not decrypt with
 * TOKEN_ENCRYPTION_KEYS, its vendor has no OAuth client configured, or the vendor refused a
 * refresh for another reason than a revoked grant. Someone must fix the key, the configuration or
 * the vendor app; the user need not reconnect. `why` says which, never with a token or a secret.
 */
export class ConnectionUnusableError extends Error {
  readonly vendor: VendorId;
  readonly why: string;
  constructor(vendor: VendorId, why: string, options?: ErrorOptions) {
    super(`the ${vendor} connection cannot be used: ${why}`, options);
    this.name = 'ConnectionUnusableError';
    this.vendor = vendor;
    this.why = why;
  }
}
