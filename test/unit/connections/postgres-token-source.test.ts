import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sealTokens } from '../../../src/connections/connection-rows.ts';
import { VendorUnavailableError } from '../../../src/connections/oauth-errors.ts';
import { createPostgresTokenSource, type VendorClients } from '../../../src/connections/postgres-token-source.ts';
import { createTokenCipher, type TokenCipher } from '../../../src/connections/token-cipher.ts';
import { ConnectionRevokedError, ConnectionUnusableError, type Connection } from '../../../src/connections/token-source.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { withBases } from '../../../src/vendors/kit/oauth.ts';
import { ouraOAuth } from '../../../src/vendors/oura/oauth.ts';
import { withingsOAuth } from '../../../src/vendors/withings/oauth.ts';
import { startOAuthSimulator, type OAuthSimulator, type SimVendor } from '../../support/vendor-sim/oauth-server.ts';

// How the token source sorts what goes wrong with one connection: only a fix helps (unusable),
// the grant is gone (revoked), or the token endpoint or the store is away for a while. The
// store is one row in memory; the token endpoint a real local server.

const key = randomBytes(32);
const accessToken = 'access-7f3c9e2b1d4a';
const refreshToken = 'refresh-91ab44cd02ef';

interface Row {
  status: Connection['status'];
  access_token: string | null;
  refresh_token: string | null;
  expires_at: Date | null;
  last_error?: string;
}

/** A pg.Pool over one vendor_connections row: the statements the token source sends, nothing more. */
function oneRowPool(row: Row, reachable = true): pg.Pool {
  const query = async (sql: string, params: unknown[] = []) => {
    if (!reachable) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (sql.startsWith('SELECT status, access_token')) return { rows: [{ ...row }], rowCount: 1 };
    if (sql.startsWith('UPDATE vendor_connections SET last_error')) Object.assign(row, { last_error: params[1], status: params[2] });
    else if (sql.includes("SET status = 'revoked'")) Object.assign(row, { status: 'revoked', access_token: null, refresh_token: null });
    else if (sql.includes('SET access_token = $2')) Object.assign(row, { status: 'active', access_token: params[1], refresh_token: params[2] });
    return { rows: [], rowCount: 1 };
  };
  return { query, connect: async () => ({ query, release: () => undefined }) } as unknown as pg.Pool;
}

function connectionOf(vendor: SimVendor & Connection['vendor']): Connection {
  return { id: `${vendor}-connection`, vendor, userId: 'our-user', vendorUserId: `${vendor}-user`, status: 'active', scopes: [] };
}

/** A row whose access token expired, so the next use refreshes. */
function expiredRow(connection: Connection, cipher: TokenCipher = createTokenCipher([key])): Row {
  const sealed = sealTokens(cipher, connection.vendor, connection.vendorUserId, { accessToken, refreshToken });
  return { status: 'active', access_token: sealed.access, refresh_token: sealed.refresh, expires_at: new Date(Date.now() - 60_000) };
}

let simulators: OAuthSimulator[] = [];
async function clientsFor(vendor: 'oura' | 'withings'): Promise<{ sim: OAuthSimulator; clients: VendorClients }> {
  const sim = await startOAuthSimulator({ vendor });
  simulators.push(sim);
  const oauth = withBases(vendor === 'oura' ? ouraOAuth : withingsOAuth, { authBaseUrl: sim.url, apiBaseUrl: sim.url });
  return { sim, clients: new Map([[vendor, { oauth, credentials: { clientId: sim.clientId, clientSecret: sim.clientSecret } }]]) };
}

const source = (pool: pg.Pool, clients: VendorClients = new Map(), keys = [key]) =>
  createPostgresTokenSource({ pool, cipher: createTokenCipher(keys), clients, logger: createLogger({ level: 'silent' }) });
const failure = (promise: Promise<unknown>) => promise.then(() => assert.unreachable('expected the token source to fail'), (error: unknown) => error);

function assertSaysNoSecret(error: unknown, sim?: OAuthSimulator): void {
  const message = (error as Error).message;
  for (const secret of [accessToken, refreshToken, key.toString('hex'), key.toString('base64'), ...(sim ? [sim.clientSecret] : [])]) {
    assert.not.ok(message.includes(secret), `expected no token, key or secret in “${message}”`);
  }
}

test.after.each(async () => {
  await Promise.all(simulators.map((sim) => sim.close()));
  simulators = [];
});

test('a token sealed under a key no longer in TOKEN_ENCRYPTION_KEYS makes the connection unusable, naming the key id only', async () => {
  const connection = connectionOf('oura');
  const row = { ...expiredRow(connection), expires_at: new Date(Date.now() + 3_600_000) };
  const error = await failure(source(oneRowPool(row), new Map(), [randomBytes(32)]).accessToken(connection));
  assert.instance(error, ConnectionUnusableError, 'expected an unusable connection, not a store outage to wait for');
  assert.match((error as Error).message, 'TOKEN_ENCRYPTION_KEYS', 'expected the message to say where to look');
  assertSaysNoSecret(error);
});

test('a refresh for a vendor without a configured OAuth client makes the connection unusable', async () => {
  const connection = connectionOf('oura');
  const error = await failure(source(oneRowPool(expiredRow(connection))).accessToken(connection));
  assert.instance(error, ConnectionUnusableError, 'expected an unusable connection');
  assert.match((error as Error).message, 'no OAuth client is configured for oura', 'expected the message to name what to configure');
});

test('a refresh the vendor refuses (invalid_client) makes the connection unusable and marks the row error', async () => {
  const connection = connectionOf('oura');
  const { sim, clients } = await clientsFor('oura');
  sim.script('token', { status: 401, body: { error: 'invalid_client', error_description: `client ${sim.clientSecret} unknown` } });
  const row = expiredRow(connection);
  const error = await failure(source(oneRowPool(row), clients).accessToken(connection));
  assert.instance(error, ConnectionUnusableError, 'expected an unusable connection, not a pause');
  assert.match((error as ConnectionUnusableError).why, 'refused a refresh (401 invalid_client)', 'expected the status and the error code');
  assert.is(row.status, 'error', 'expected the row marked error');
  assertSaysNoSecret(error, sim);
});

test('Withings answering a refresh with its status 503 makes the connection unusable', async () => {
  const connection = connectionOf('withings');
  const { sim, clients } = await clientsFor('withings');
  sim.script('token', { status: 200, body: { status: 503, body: {}, error: 'Invalid params' } });
  const error = await failure(source(oneRowPool(expiredRow(connection)), clients).accessToken(connection));
  assert.instance(error, ConnectionUnusableError, 'expected an unusable connection');
  assert.match((error as ConnectionUnusableError).why, 'withings_status_503', 'expected the Withings status named');
});

test('an error code that is not a plain code stays out of the message', async () => {
  const connection = connectionOf('oura');
  const { sim, clients } = await clientsFor('oura');
  sim.script('token', { status: 400, body: { error: `bad refresh_token ${refreshToken}` } }, { status: 503, body: { error: `busy with ${refreshToken}` } });
  const row = expiredRow(connection);
  const error = await failure(source(oneRowPool(row), clients).accessToken(connection));
  assert.instance(error, ConnectionUnusableError, 'expected an unusable connection');
  assertSaysNoSecret(error, sim);
  assertSaysNoSecret((error as Error).cause, sim);
  assertSaysNoSecret(new Error(row.last_error), sim);
  assert.match(row.last_error ?? '', 'unreadable_error_code', 'expected the row to say the code was unreadable');
  const away = await failure(source(oneRowPool(row), clients).accessToken(connection));
  assert.instance(away, VendorUnavailableError, 'expected the 503 to be the endpoint away');
  assertSaysNoSecret(away, sim);
});

test('a 200 that is not JSON (a proxy’s page) is the endpoint away, not a refusal', async () => {
  const connection = connectionOf('oura');
  const { sim, clients } = await clientsFor('oura');
  sim.script('token', { status: 200, html: '<html>gateway</html>' });
  const row = expiredRow(connection);
  const error = await failure(source(oneRowPool(row), clients).accessToken(connection));
  assert.instance(error, VendorUnavailableError, 'expected the endpoint unavailable');
  assert.is(row.status, 'active', 'expected the row left active');
});

test('the token endpoint away (429 with Retry-After, 503) or the store down is no reason to give a connection up', async () => {
  const connection = connectionOf('oura');
  const { sim, clients } = await clientsFor('oura');
  sim.script('token', { status: 429, retryAfter: '7' }, { status: 503 });
  const row = expiredRow(connection);
  const busy = await failure(source(oneRowPool(row), clients).accessToken(connection));
  assert.instance(busy, VendorUnavailableError, 'expected the 429 to be the endpoint unavailable');
  assert.is((busy as VendorUnavailableError).retryAfterSeconds, 7, 'expected its Retry-After kept');
  assert.instance(await failure(source(oneRowPool(row), clients).accessToken(connection)), VendorUnavailableError, 'expected a 503 to be the endpoint unavailable');
  assert.is(row.status, 'active', 'expected the row left active');
  const down = await failure(source(oneRowPool(row, false), clients).accessToken(connection));
  assert.not.instance(down, ConnectionUnusableError, 'expected Postgres unreachable to be waited for');
  assert.not.instance(down, ConnectionRevokedError, 'expected Postgres unreachable to be waited for');
});

test('invalid_grant still revokes the connection', async () => {
  const connection = connectionOf('oura');
  const { sim, clients } = await clientsFor('oura');
  sim.script('token', { status: 400, body: { error: 'invalid_grant' } });
  const row = expiredRow(connection);
  assert.instance(await failure(source(oneRowPool(row), clients).accessToken(connection)), ConnectionRevokedError, 'expected the grant gone');
  assert.is(row.status, 'revoked', 'expected the row revoked');
});

test.run();
