import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { VendorId } from '../../src/config/index.ts';
import {
  ConnectionRevokedError,
  createConnectionMetrics,
  createPostgresTokenSource,
  createTokenCipher,
  importConnections,
  oauthVendors,
  rekeyTokens,
  revokeConnectionRow,
  VendorUnavailableError,
  type TokenCipher,
  type TokenSource,
  type VendorClient,
} from '../../src/connections/index.ts';
import { withBases } from '../../src/connections/vendor-oauth.ts';
import { startOAuthSimulator, type OAuthSimulator } from '../support/vendor-sim/oauth-server.ts';
import { capturedLogger, connectThroughSimulator, isolatedConnectionsDb, type ConnectionsDb } from './connections-support.ts';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const cipher = createTokenCipher([oldKey]);
const { logger, lines } = capturedLogger();
const metrics = createConnectionMetrics();
let db: ConnectionsDb;
let poolA: pg.Pool;
let poolB: pg.Pool;
let sim: OAuthSimulator;
let client: VendorClient;
let sourceA: TokenSource;
let sourceB: TokenSource;

test.before(async () => {
  db = await isolatedConnectionsDb();
  poolA = db.pool(4);
  poolB = db.pool(4);
  sim = await startOAuthSimulator({ vendor: 'whoop', accessTokenTtlSeconds: 3_600 });
  client = { oauth: withBases(oauthVendors.get('whoop')!, { authBaseUrl: sim.url, apiBaseUrl: sim.url }), credentials: { clientId: sim.clientId, clientSecret: sim.clientSecret } };
  const clients = new Map<VendorId, VendorClient>([['whoop', client]]);
  // Two token sources on two pools: two processes as far as Postgres can tell.
  sourceA = createPostgresTokenSource({ pool: poolA, cipher, clients, logger, metrics });
  sourceB = createPostgresTokenSource({ pool: poolB, cipher, clients, logger, metrics });
});

test.after(async () => {
  await sim.close();
  await db.drop();
});

const connectedUser = (vendorUserId: string, userId: string, expiresAt: Date) =>
  connectThroughSimulator(sim, client, poolA, cipher, { vendorUserId, userId, expiresAt });

const expired = () => new Date(Date.now() - 60_000);

test('an expired token: 20 concurrent calls from two processes → exactly one refresh, everyone gets the new token', async () => {
  const connection = await connectedUser('20001', 'user-1', expired());
  const before = sim.refreshes;
  const issuedBefore = sim.issuedTokens.length;
  const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? sourceA : sourceB).accessToken(connection)));
  assert.is(sim.refreshes - before, 1, 'expected exactly one refresh at the vendor');
  assert.is(sim.refreshAttempts, sim.refreshes, 'expected no refresh attempt with a rotated (dead) refresh token');
  const newAccess = sim.issuedTokens[issuedBefore];
  assert.equal(new Set(tokens), new Set([newAccess]), 'expected all 20 callers to get the refreshed access token');
  const { rows } = await poolA.query<{ refresh_token: string; last_refresh_at: Date | null; expires_at: Date }>(
    'SELECT refresh_token, last_refresh_at, expires_at FROM vendor_connections WHERE id = $1',
    [connection.id],
  );
  assert.is(cipher.decrypt(rows[0]!.refresh_token, 'whoop\n20001\nrefresh'), sim.issuedTokens[issuedBefore + 1], 'expected the rotated refresh token stored, not lost');
  assert.ok(rows[0]!.last_refresh_at, 'expected last_refresh_at set');
  assert.ok(rows[0]!.expires_at.getTime() > Date.now() + 3_000_000, 'expected the new expiry about an hour ahead');
});

test('a 401 from the vendor: concurrent refreshAfterUnauthorized from both processes → one refresh, the second caller gets it', async () => {
  const connection = await connectedUser('20002', 'user-2', new Date(Date.now() + 3_600_000));
  const rejected = await sourceA.accessToken(connection);
  assert.is(await sourceB.accessToken(connection), rejected, 'expected both processes on the same token first');
  sim.expireAccessTokens();
  const before = sim.refreshes;
  const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? sourceA : sourceB).refreshAfterUnauthorized(connection, rejected)));
  assert.is(sim.refreshes - before, 1, 'expected one refresh for ten 401s across two processes');
  assert.is(new Set(tokens).size, 1, 'expected one new token for everyone');
  assert.is.not(tokens[0], rejected, 'expected a token other than the rejected one');
  assert.is(await sourceB.accessToken(connection), tokens[0], 'expected the other process to use the new token afterwards');
});

test('a transient vendor failure keeps the connection active, records the error and the next call succeeds', async () => {
  const connection = await connectedUser('20003', 'user-3', expired());
  sim.script('token', { status: 429, retryAfter: '7' });
  const error = await sourceA.accessToken(connection).catch((e: unknown) => e);
  assert.instance(error, VendorUnavailableError, 'expected VendorUnavailableError on 429');
  assert.is((error as VendorUnavailableError).retryAfterSeconds, 7, 'expected Retry-After passed on');
  const { rows } = await poolA.query<{ status: string; last_error: string }>('SELECT status, last_error FROM vendor_connections WHERE id = $1', [connection.id]);
  assert.is(rows[0]?.status, 'active', 'expected the connection still active');
  assert.match(rows[0]?.last_error ?? '', 'answered 429', 'expected the failure recorded');
  sim.script('token', { status: 503 }, { delayMs: 50 });
  assert.instance(await sourceB.accessToken(connection).catch((e: unknown) => e), VendorUnavailableError, 'expected 503 to fail this call too');
  assert.ok((await sourceB.accessToken(connection)).length > 0, 'expected the slow but healthy third answer to refresh');
});

test('invalid_grant → revoked, tokens dropped, ConnectionRevokedError, connectionFor finds nothing', async () => {
  const connection = await connectedUser('20004', 'user-4', expired());
  sim.revokeGrants();
  const error = await sourceA.accessToken(connection).catch((e: unknown) => e);
  assert.instance(error, ConnectionRevokedError, 'expected ConnectionRevokedError');
  const { rows } = await poolA.query('SELECT status, access_token, refresh_token, disconnected_at IS NOT NULL AS disconnected, last_error FROM vendor_connections WHERE id = $1', [connection.id]);
  assert.equal(rows[0], { status: 'revoked', access_token: null, refresh_token: null, disconnected: true, last_error: 'invalid_grant' }, 'expected a revoked row without tokens');
  assert.is(await sourceB.connectionFor('whoop', '20004'), undefined, 'expected no active connection for the vendor user');
  assert.instance(await sourceB.accessToken(connection).catch((e: unknown) => e), ConnectionRevokedError, 'expected the other process to see the revocation');
});

test('revokeConnection (deauth webhooks): the row stays, revoked and disconnected', async () => {
  const connection = await connectedUser('20005', 'user-5', new Date(Date.now() + 3_600_000));
  assert.equal(await sourceA.connectionFor('whoop', '20005'), connection, 'expected the active connection found');
  assert.ok(await revokeConnectionRow(poolA, 'whoop', '20005', 'deauth'), 'expected the revocation to match the row');
  assert.not.ok(await revokeConnectionRow(poolA, 'whoop', '20005', 'deauth'), 'expected a second revocation to change nothing');
  assert.is(await sourceA.connectionFor('whoop', '20005'), undefined, 'expected the revoked connection gone from connectionFor');
  const { rows } = await poolA.query(`SELECT user_id, disconnected_at IS NOT NULL AS disconnected FROM vendor_connections WHERE vendor = 'whoop' AND vendor_user_id = '20005'`);
  assert.equal(rows, [{ user_id: 'user-5', disconnected: true }], "expected the mapping kept (late data is the same person's) and the user disconnected for verify");
});

test('rekey: every token re-sealed under the newest key; the old key can then go', async () => {
  const rotated: TokenCipher = createTokenCipher([newKey, oldKey]);
  const result = await rekeyTokens(poolA, rotated, 2);
  assert.ok(result.rekeyed >= 3, `expected the remaining connections rekeyed in batches, got ${result.rekeyed}`);
  const { rows } = await poolA.query<{ vendor_user_id: string; access_token: string; token_key_id: string }>(
    'SELECT vendor_user_id, access_token, token_key_id FROM vendor_connections WHERE access_token IS NOT NULL',
  );
  const newOnly = createTokenCipher([newKey]);
  for (const row of rows) {
    assert.is(row.token_key_id, rotated.currentKeyId, 'expected the new key id on every row');
    assert.ok(newOnly.decrypt(row.access_token, `whoop\n${row.vendor_user_id}\naccess`).length > 0, 'expected the new key alone to decrypt');
  }
  assert.equal(await rekeyTokens(poolA, rotated), { rekeyed: 0, alreadyCurrent: rows.length, remaining: 0 }, 'expected a second rekey to find nothing to do');
});

test('import: tokens sealed on the way in, all or nothing', async () => {
  const importer = createTokenCipher([newKey]);
  const good = JSON.stringify([
    { vendor: 'oura', vendor_user_id: 'IMP-1', user_id: 'user-i1', access_token: 'imported-access-1', refresh_token: 'imported-refresh-1', expires_at: '2031-01-01T00:00:00Z', scopes: 'daily' },
    { vendor: 'polar', vendor_user_id: '777', user_id: 'user-i2', access_token: 'imported-access-2' },
  ]);
  assert.equal(await importConnections(poolA, importer, good, 'json'), { imported: 2, problems: [] }, 'expected both imported');
  const { rows } = await poolA.query<{ whole: string; access_token: string; status: string }>(
    `SELECT t::text AS whole, access_token, status FROM vendor_connections t WHERE vendor_user_id = 'IMP-1'`,
  );
  assert.not.ok(rows[0]!.whole.includes('imported-access-1') || rows[0]!.whole.includes('imported-refresh-1'), 'expected no imported token in clear');
  assert.is(importer.decrypt(rows[0]!.access_token, 'oura\nIMP-1\naccess'), 'imported-access-1', 'expected the imported token sealed');
  const bad = 'vendor,vendor_user_id,user_id,access_token\noura,IMP-3,user-i3,x\nnope,IMP-4,user-i4,y\n';
  const result = await importConnections(poolA, importer, bad, 'csv');
  assert.equal(result, { imported: 0, problems: ['record 2: unknown vendor "nope"'] }, 'expected the bad record named and nothing imported');
  const none = await poolA.query(`SELECT 1 FROM vendor_connections WHERE vendor_user_id = 'IMP-3'`);
  assert.is(none.rowCount, 0, 'expected the good record of a bad file not imported');
});

test('metrics count refreshes by vendor and outcome, and carry no token or user', async () => {
  const text = await metrics.registry.metrics();
  assert.match(text, 'bridge_connection_refreshes_total{vendor="whoop",outcome="refreshed"} 3', 'expected the three refreshes that reached the vendor');
  assert.match(text, /bridge_connection_refreshes_total\{vendor="whoop",outcome="joined"\} [1-9]/, 'expected callers that found the token already refreshed');
  assert.match(text, 'bridge_connection_refreshes_total{vendor="whoop",outcome="revoked"} 1', 'expected the invalid_grant revocation');
  assert.match(text, 'bridge_connection_refreshes_total{vendor="whoop",outcome="unavailable"} 2', 'expected the 429 and the 503');
  for (const token of sim.issuedTokens) assert.not.ok(text.includes(token), 'expected no token in the metrics');
  assert.not.ok(/user-\d|2000\d/.test(text), 'expected no user id in the metrics');
});

test('no token or client secret in any log line; refreshes and revocations are logged', () => {
  const logged = lines.join('');
  assert.ok(logged.includes('access token refreshed') && logged.includes('connection revoked'), 'expected refreshes and revocations logged');
  for (const token of sim.issuedTokens) assert.not.ok(logged.includes(token), 'expected no token in the logs');
  assert.not.ok(logged.includes(sim.clientSecret), 'expected no client secret in the logs');
  assert.not.ok(/user-\d|2000\d/.test(logged), 'expected no user id in the logs');
});

test.run();
