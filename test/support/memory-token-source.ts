import { randomUUID } from 'node:crypto';
import type { VendorId } from '../../src/config/schema.ts';
import { ConnectionRevokedError, type Connection, type TokenSource } from '../../src/connections/token-source.ts';

/**
 * An in-memory TokenSource for hydrate tests: connections a test adds, tokens it can expire or
 * revoke. A refresh issues a new token through `onIssue` (tests grant it in the API simulator) and
 * is single-flight per connection like the real one: a caller holding an already replaced token
 * gets the current one without a second refresh.
 */
export class MemoryTokenSource implements TokenSource {
  readonly #connections = new Map<string, { connection: Connection; token: string; revoked: boolean }>();
  readonly #onIssue: (token: string) => void;
  /** Refreshes performed, per connection id. */
  readonly refreshes = new Map<string, number>();

  constructor(onIssue: (token: string) => void = () => undefined) {
    this.#onIssue = onIssue;
  }

  /** Adds an active connection whose current access token is `token` (not granted by itself). */
  connect(vendor: VendorId, vendorUserId: string, token: string, userId = `user-${vendorUserId}`): Connection {
    const connection: Connection = { id: randomUUID(), vendor, userId, vendorUserId, status: 'active', scopes: [] };
    this.#connections.set(`${vendor}:${vendorUserId}`, { connection, token, revoked: false });
    return connection;
  }

  /** The user revoked access at the vendor: the next refresh fails with invalid_grant. */
  revokeGrant(vendor: VendorId, vendorUserId: string): void {
    const entry = this.#connections.get(`${vendor}:${vendorUserId}`);
    if (entry) entry.revoked = true;
  }

  async connectionFor(vendor: VendorId, vendorUserId: string): Promise<Connection | undefined> {
    const entry = this.#connections.get(`${vendor}:${vendorUserId}`);
    return entry && !entry.revoked ? entry.connection : undefined;
  }

  async accessToken(connection: Connection): Promise<string> {
    return this.#entry(connection).token;
  }

  async refreshAfterUnauthorized(connection: Connection, rejectedToken: string): Promise<string> {
    const entry = this.#entry(connection);
    if (entry.revoked) throw new ConnectionRevokedError(connection.vendor);
    if (entry.token !== rejectedToken) return entry.token;
    entry.token = `token-${randomUUID()}`;
    this.refreshes.set(connection.id, (this.refreshes.get(connection.id) ?? 0) + 1);
    this.#onIssue(entry.token);
    return entry.token;
  }

  #entry(connection: Connection) {
    const entry = this.#connections.get(`${connection.vendor}:${connection.vendorUserId}`);
    if (entry === undefined) throw new Error(`no ${connection.vendor} connection ${connection.id} in this test`);
    return entry;
  }
}
