import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { saveConnection, type Connection, type TokenCipher, type VendorClient } from '../../src/connections/index.ts';
import { authorizeUrl, exchangeCode } from '../../src/connections/oauth-client.ts';
import { pkceChallenge, pkceVerifier } from '../../src/connections/signing.ts';
import { connectionsMigrations } from '../../src/connections/migrations.ts';
import { migrate } from '../../src/sink/index.ts';
import type { OAuthSimulator } from '../support/vendor-sim/oauth-server.ts';
import { createLogger, type Logger } from '../../src/obs/logger.ts';
import { config, unique } from '../support/services.ts';

/**
 * A Postgres schema of its own with the project's migrations applied, so these tests neither
 * see nor change the shared `vendor_connections` other runs use. `pool()` opens another pool on
 * it (a second "process").
 */
export interface ConnectionsDb {
  readonly schema: string;
  pool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

export async function isolatedConnectionsDb(): Promise<ConnectionsDb> {
  const schema = unique('conn').replace(/-/g, '_');
  const admin = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools: pg.Pool[] = [];
  const pool = (max = 4) => {
    const created = new pg.Pool({ connectionString: config.DATABASE_URL, max, options: `-c search_path=${schema}` });
    pools.push(created);
    return created;
  };
  await migrate({ pool: pool(1), ...connectionsMigrations, table: `${schema}.connections_migrations`, lockKey: Math.floor(Math.random() * 1_000_000_000) });
  return {
    schema,
    pool,
    async drop() {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A logger whose every line is kept, to prove no token, secret or user id is written. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug' }, sink), lines };
}

export const linkSecret = randomBytes(32).toString('hex');

/**
 * A user connected through the simulator's authorize and token endpoints (PKCE where the vendor
 * uses it), stored with the expiry the test chooses.
 */
export async function connectThroughSimulator(
  sim: OAuthSimulator,
  client: VendorClient,
  pool: pg.Pool,
  cipher: TokenCipher,
  user: { readonly vendorUserId: string; readonly userId: string; readonly expiresAt?: Date },
): Promise<Connection> {
  sim.vendorUserId = user.vendorUserId;
  const redirectUri = `http://127.0.0.1/connect/${client.oauth.vendor}/callback`;
  const codeVerifier = pkceVerifier(linkSecret, user.vendorUserId);
  const authorize = authorizeUrl(client.oauth, client.credentials, { redirectUri, state: 'state-123456', codeChallenge: pkceChallenge(codeVerifier) });
  const code = new URL(await sim.authorize(authorize)).searchParams.get('code');
  if (code === null) throw new Error('the simulator did not issue a code');
  const grant = await exchangeCode(client.oauth, client.credentials, { code, redirectUri, codeVerifier });
  return saveConnection(pool, cipher, {
    vendor: client.oauth.vendor,
    vendorUserId: user.vendorUserId,
    userId: user.userId,
    scopes: grant.scopes ?? [],
    tokens: {
      accessToken: grant.accessToken,
      ...(grant.refreshToken === undefined ? {} : { refreshToken: grant.refreshToken }),
      ...(user.expiresAt === undefined ? {} : { expiresAt: user.expiresAt }),
    },
  });
}
