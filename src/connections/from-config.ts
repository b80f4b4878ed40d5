import type pg from 'pg';
import type { Registry } from 'prom-client';
import { ConfigError, type Env, type VendorId } from '../config/index.ts';
import type { Logger } from '../obs/logger.ts';
import { createPostgresPool } from '../sink/postgres-pool.ts';
import { revokeConnectionRow } from './connection-rows.ts';
import { createConnectRoutes, type ConnectRoutes, type ConnectRoutesOptions } from './http/connect-routes.ts';
import { createConnectionMetrics } from './metrics.ts';
import { vendorClientsFromConfig } from './oauth-vendors.ts';
import { createPostgresTokenSource, type VendorClients } from './postgres-token-source.ts';
import { createTokenCipher, type TokenCipher } from './token-cipher.ts';
import type { TokenSource } from './token-source.ts';

/** What the rest of the bridge uses of vendor connections. */
export interface Connections {
  readonly tokenSource: TokenSource;
  readonly cipher: TokenCipher;
  readonly clients: VendorClients;
  /** For deauthorization webhooks (Terra `deauth`/`access_revoked`, …): false when nothing matched. */
  revokeConnection(vendor: VendorId, vendorUserId: string, reason: string): Promise<boolean>;
}

/** `registry`: where the refresh counters go (the process's metrics registry). */
export function createConnections(config: Env, pool: pg.Pool, logger: Logger, registry?: Registry): Connections {
  const cipher = tokenCipherFromConfig(config);
  const clients = vendorClientsFromConfig(config);
  return {
    cipher,
    clients,
    tokenSource: createPostgresTokenSource({ pool, cipher, clients, logger, metrics: createConnectionMetrics(registry) }),
    revokeConnection: (vendor, vendorUserId, reason) => revokeConnectionRow(pool, vendor, vendorUserId, reason),
  };
}

/** The ingress's `/connect/…` routes with the Postgres pool they own. */
export interface ConnectRoutesService {
  readonly routes: ConnectRoutes;
  /** Ends the pool; call after the ingress closed. */
  close(): Promise<void>;
}

/** A cipher from TOKEN_ENCRYPTION_KEYS, or a ConfigError (exit 78) naming the variable. */
export function tokenCipherFromConfig(config: Env): TokenCipher {
  if (config.TOKEN_ENCRYPTION_KEYS.length === 0) {
    throw new ConfigError(['TOKEN_ENCRYPTION_KEYS: required for vendor connections (tokens are stored encrypted); e.g. openssl rand -hex 32']);
  }
  return createTokenCipher(config.TOKEN_ENCRYPTION_KEYS);
}

/**
 * The ingress's `/connect/…` routes, or undefined when connections are not configured (no
 * CONNECT_LINK_SECRET): then those paths answer 404 like any other unknown path. The entry point
 * passes `routes` as the ingress's `connectRoutes` (and its metrics registry as `registry`) and
 * calls `close()` after the ingress closed.
 */
export function connectRoutesFromConfig(config: Env, logger: Logger, registry?: Registry, onConnected?: ConnectRoutesOptions['onConnected']): ConnectRoutesService | undefined {
  if (config.CONNECT_LINK_SECRET === undefined) return undefined;
  if (config.PUBLIC_BASE_URL === undefined) throw new ConfigError(['PUBLIC_BASE_URL: required with CONNECT_LINK_SECRET (it builds the OAuth redirect URL)']);
  const cipher = tokenCipherFromConfig(config);
  const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: 4, logger });
  return {
    routes: createConnectRoutes({
      pool,
      cipher,
      clients: vendorClientsFromConfig(config),
      linkSecret: config.CONNECT_LINK_SECRET,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      linkMaxAgeSeconds: config.CONNECT_LINK_MAX_AGE_SECONDS,
      logger,
      metrics: createConnectionMetrics(registry),
      ...(onConnected ? { onConnected } : {}),
    }),
    close: () => pool.end(),
  };
}
