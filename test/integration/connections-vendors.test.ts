import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { VendorId } from '../../src/config/index.ts';
import { ConnectionRevokedError, createPostgresTokenSource, createTokenCipher, oauthVendors, type TokenSource, type VendorClient } from '../../src/connections/index.ts';
import { withBases } from '../../src/connections/vendor-oauth.ts';
import { startOAuthSimulator, type OAuthSimulator, type SimVendor } from '../support/vendor-sim/oauth-server.ts';
import { capturedLogger, connectThroughSimulator, isolatedConnectionsDb, type ConnectionsDb } from './connections-support.ts';

/** Each vendor's refresh quirks through the same TokenSource: rotation or not, wrapped answers, no refresh token. */
const cipher = createTokenCipher([randomBytes(32)]);
const { logger } = capturedLogger();
let db: ConnectionsDb;
let pool: pg.Pool;
let source: TokenSource;
const sims = new Map<SimVendor, OAuthSimulator>();
const clients = new Map<VendorId, VendorClient>();

test.before(async () => {
  db = await isolatedConnectionsDb();
  pool = db.pool();
  for (const vendor of ['google-health', 'withings', 'polar', 'garmin', 'oura'] as const) {
    const sim = await startOAuthSimulator({ vendor });
    sims.set(vendor, sim);
    clients.set(vendor, { oauth: withBases(oauthVendors.get(vendor)!, { authBaseUrl: sim.url, apiBaseUrl: sim.url }), credentials: { clientId: sim.clientId, clientSecret: sim.clientSecret } });
  }
  source = createPostgresTokenSource({ pool, cipher, clients, logger });
});

test.after(async () => {
  for (const sim of sims.values()) await sim.close();
  await db.drop();
});

const connect = (vendor: SimVendor, vendorUserId: string, expiresAt?: Date) =>
  connectThroughSimulator(sims.get(vendor)!, clients.get(vendor)!, pool, cipher, { vendorUserId, userId: `ours-${vendorUserId}`, ...(expiresAt ? { expiresAt } : {}) });
const past = () => new Date(Date.now() - 60_000);

async function storedRefreshToken(vendor: VendorId, vendorUserId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ refresh_token: string | null }>('SELECT refresh_token FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2', [vendor, vendorUserId]);
  const envelope = rows[0]?.refresh_token;
  return envelope ? cipher.decrypt(envelope, `${vendor}\n${vendorUserId}\nrefresh`) : undefined;
}

test('Google Health does not rotate: the same refresh token keeps working and stays stored', async () => {
  const sim = sims.get('google-health')!;
  const connection = await connect('google-health', 'g-health-1', past());
  const original = await storedRefreshToken('google-health', 'g-health-1');
  const first = await source.accessToken(connection);
  const second = await source.refreshAfterUnauthorized(connection, first);
  assert.is(sim.refreshes, 2, 'expected two refreshes with one refresh token');
  assert.is.not(first, second, 'expected a new access token each time');
  assert.is(await storedRefreshToken('google-health', 'g-health-1'), original, 'expected the original refresh token kept (the answer had none)');
});

test('Withings: refresh through the wrapped answer rotates the token; a dead grant (status 401) revokes', async () => {
  const sim = sims.get('withings')!;
  const connection = await connect('withings', '5150', past());
  const original = await storedRefreshToken('withings', '5150');
  const refreshed = await source.accessToken(connection);
  assert.is(sim.refreshes, 1, 'expected one refresh');
  assert.is.not(await storedRefreshToken('withings', '5150'), original, 'expected the rotated refresh token stored');
  assert.is(sim.lastTokenForm?.get('action'), 'requesttoken', 'expected action=requesttoken on the refresh');
  sim.revokeGrants();
  const error = await source.refreshAfterUnauthorized(connection, refreshed).catch((e: unknown) => e);
  assert.instance(error, ConnectionRevokedError, 'expected a revoked Withings grant to revoke the connection');
});

test('Polar: no refresh token — an expiry is not a revocation, a 401 is', async () => {
  const connection = await connect('polar', '8080', past());
  const token = await source.accessToken(connection);
  assert.is(sims.get('polar')!.refreshAttempts, 0, 'expected no refresh attempt without a refresh token');
  const error = await source.refreshAfterUnauthorized(connection, token).catch((e: unknown) => e);
  assert.instance(error, ConnectionRevokedError, 'expected a 401 without a refresh token to need a reconnect');
  const { rows } = await pool.query(`SELECT status, last_error FROM vendor_connections WHERE vendor = 'polar' AND vendor_user_id = '8080'`);
  assert.equal(rows[0], { status: 'revoked', last_error: 'unauthorized_without_refresh_token' }, 'expected the reason recorded');
});

test('Garmin: PKCE connect, then a rotating refresh', async () => {
  const sim = sims.get('garmin')!;
  const connection = await connect('garmin', 'garmin-1', past());
  const original = await storedRefreshToken('garmin', 'garmin-1');
  await source.accessToken(connection);
  assert.is(sim.refreshes, 1, 'expected one refresh');
  assert.is.not(await storedRefreshToken('garmin', 'garmin-1'), original, 'expected the rotated refresh token stored');
});

test('a wrong client secret (invalid_client) marks the connection error, not revoked, until a good refresh', async () => {
  const connection = await connect('oura', 'OURA-CFG', past());
  const good = clients.get('oura')!;
  const broken = new Map(clients);
  broken.set('oura', { ...good, credentials: { ...good.credentials, clientSecret: 'wrong' } });
  const misconfigured = createPostgresTokenSource({ pool, cipher, clients: broken, logger });
  const error = await misconfigured.accessToken(connection).catch((e: unknown) => e);
  assert.match(String(error), 'invalid_client', 'expected the vendor’s refusal named');
  assert.not.match(String(error), 'wrong', 'expected no secret in the error');
  const before = await pool.query(`SELECT status FROM vendor_connections WHERE vendor_user_id = 'OURA-CFG'`);
  assert.is(before.rows[0]?.status, 'error', 'expected status error');
  assert.ok(await source.connectionFor('oura', 'OURA-CFG'), 'expected an error connection still offered (it may recover)');
  assert.ok((await source.accessToken(connection)).length > 0, 'expected the fixed configuration to refresh');
  const after = await pool.query(`SELECT status, last_error FROM vendor_connections WHERE vendor_user_id = 'OURA-CFG'`);
  assert.equal(after.rows[0], { status: 'active', last_error: null }, 'expected active again');
});

test.run();
