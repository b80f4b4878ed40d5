import type pg from 'pg';
import type { Env, VendorId } from '../config/schema.ts';
import type { Logger } from '../obs/logger.ts';
import { revokeConnectionRow } from './connection-rows.ts';
import { createConnectRoutes, type ConnectRoutes } from './http/connect-routes.ts';
import { vendorClientsFromConfig } from './oauth-vendors.ts';
import { createPostgresTokenSource, type VendorClients } from './postgres-token-source.ts';
import { createTokenCipher, type TokenCipher } from './token-cipher.ts';
import type { TokenSource } from './token-source.ts';
import { postgresUserIds, type UserIdDirectory } from './user-ids.ts';

/** What the rest of the bridge uses of vendor connections. */
export interface Connections extends UserIdDirectory {
  readonly tokenSource: TokenSource;
  readonly cipher: TokenCipher;
  readonly clients: VendorClients;
  /** For deauthorization webhooks (Terra `deauth`/`access_revoked`, …): false when nothing matched. */
  revokeConnection(vendor: VendorId, vendorUserId: string, reason: string): Promise<boolean>;
}

export class ConnectionsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionsConfigError';
  }
}

export function createConnections(config: Env, pool: pg.Pool, logger: Logger): Connections {
  const cipher = createTokenCipher(config.TOKEN_ENCRYPTION_KEYS);
  const clients = vendorClientsFromConfig(config);
  const directory = postgresUserIds(pool);
  return {
    cipher,
    clients,
    tokenSource: createPostgresTokenSource({ pool, cipher, clients, logger }),
    userIdFor: (vendor, vendorUserId) => directory.userIdFor(vendor, vendorUserId),
    revokeConnection: (vendor, vendorUserId, reason) => revokeConnectionRow(pool, vendor, vendorUserId, reason),
  };
}

/**
 * The ingress's `/connect/…` routes, or undefined when connections are not configured (no
 * CONNECT_LINK_SECRET): then those paths answer 404 like any other unknown path.
 */
export function connectRoutesFromConfig(config: Env, pool: pg.Pool, logger: Logger): ConnectRoutes | undefined {
  if (config.CONNECT_LINK_SECRET === undefined) return undefined;
  if (config.PUBLIC_BASE_URL === undefined) throw new ConnectionsConfigError('PUBLIC_BASE_URL is required with CONNECT_LINK_SECRET: it builds the OAuth redirect URL');
  if (config.TOKEN_ENCRYPTION_KEYS.length === 0) throw new ConnectionsConfigError('TOKEN_ENCRYPTION_KEYS is required with CONNECT_LINK_SECRET: tokens are stored encrypted');
  return createConnectRoutes({
    pool,
    cipher: createTokenCipher(config.TOKEN_ENCRYPTION_KEYS),
    clients: vendorClientsFromConfig(config),
    linkSecret: config.CONNECT_LINK_SECRET,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    linkMaxAgeSeconds: config.CONNECT_LINK_MAX_AGE_SECONDS,
    logger,
  });
}
