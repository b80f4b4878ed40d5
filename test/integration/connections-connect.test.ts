import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import type { VendorId } from '../../src/config/index.ts';
import { createConnectionMetrics, createConnectRoutes, createTokenCipher, oauthVendors, signConnectLink, type VendorClient } from '../../src/connections/index.ts';
import { withBases } from '../../src/connections/vendor-oauth.ts';
import { createIngress, createKafkaRawSink, type Ingress } from '../../src/ingress/index.ts';
import { startOAuthSimulator, type OAuthSimulator, type SimVendor } from '../support/vendor-sim/oauth-server.ts';
import { config } from '../support/services.ts';
import { capturedLogger, isolatedConnectionsDb, linkSecret, type ConnectionsDb } from './connections-support.ts';
import { testIngressOptions, type IsolatedTopics } from './ingress-support.ts';

const simulated: SimVendor[] = ['oura', 'garmin', 'polar', 'withings', 'whoop'];
const cipher = createTokenCipher([randomBytes(32)]);
const { logger, lines } = capturedLogger();
const metrics = createConnectionMetrics();
let db: ConnectionsDb;
let pool: pg.Pool;
let ingress: Ingress;
let base: string;
let clock: number | undefined; // unix seconds when a test moves time
const sims = new Map<SimVendor, OAuthSimulator>();

test.before(async () => {
  db = await isolatedConnectionsDb();
  pool = db.pool();
  const clients = new Map<VendorId, VendorClient>();
  for (const vendor of simulated) {
    const sim = await startOAuthSimulator({ vendor });
    sims.set(vendor, sim);
    const oauth = oauthVendors.get(vendor)!;
    clients.set(vendor, { oauth: withBases(oauth, { authBaseUrl: sim.url, apiBaseUrl: sim.url }), credentials: { clientId: sim.clientId, clientSecret: sim.clientSecret } });
  }
  const kafka = new Kafka({ clientId: 'connections-connect-test', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  let publicBaseUrl = '';
  const routes = createConnectRoutes({
    pool,
    cipher,
    clients,
    linkSecret,
    get publicBaseUrl() {
      return publicBaseUrl;
    },
    linkMaxAgeSeconds: 3_600,
    logger,
    nowSeconds: () => clock ?? Math.floor(Date.now() / 1000),
    metrics,
  });
  // The connect flow never writes a raw record: no topics are created for these names.
  const noTopics: Omit<IsolatedTopics, 'remove'> = { raw: (v) => `connect-test.raw.${v}`, verified: (v) => `connect-test.verified.${v}`, deadLetter: 'connect-test.dlq', groupId: 'connect-test' };
  ingress = createIngress(
    testIngressOptions(noTopics, { sink: createKafkaRawSink({ kafka, timeoutMs: 5_000, producers: 1 }), logger, basePath: '/api/bridge', connectRoutes: routes }),
  );
  const address: AddressInfo = await ingress.listen();
  base = `http://127.0.0.1:${address.port}/api/bridge`;
  publicBaseUrl = base;
});

test.after(async () => {
  await ingress.close();
  for (const sim of sims.values()) await sim.close();
  await db.drop();
});

const link = (vendor: VendorId, userId: string, expiresIn = 600) =>
  `${base}/connect/${vendor}?${signConnectLink(linkSecret, vendor, userId, Math.floor(Date.now() / 1000) + expiresIn)}`;

async function startAt(vendor: VendorId, userId: string): Promise<URL> {
  const response = await fetch(link(vendor, userId), { redirect: 'manual' });
  assert.is(response.status, 302, `expected the connect link to redirect to ${vendor}`);
  return new URL(response.headers.get('location')!);
}

async function connect(vendor: SimVendor, userId: string): Promise<Response> {
  const authorize = await startAt(vendor, userId);
  const callback = await sims.get(vendor)!.authorize(authorize.toString());
  return fetch(callback, { redirect: 'manual' });
}

async function rowOf(vendor: VendorId, vendorUserId: string) {
  const { rows } = await pool.query<{ user_id: string; status: string; access_token: string; refresh_token: string | null; whole: string; scopes: string[] }>(
    'SELECT user_id, status, access_token, refresh_token, t::text AS whole, scopes FROM vendor_connections t WHERE vendor = $1 AND vendor_user_id = $2',
    [vendor, vendorUserId],
  );
  return rows[0];
}

test('Oura: link → authorize with scopes and signed state → callback → encrypted row with our user id', async () => {
  const sim = sims.get('oura')!;
  sim.vendorUserId = 'OURA-USER-1';
  const authorize = await startAt('oura', 'user-42');
  assert.is(`${authorize.origin}${authorize.pathname}`, `${sim.url}/oauth/authorize`, 'expected Oura’s authorize path');
  assert.is(authorize.searchParams.get('redirect_uri'), `${base}/connect/oura/callback`, 'expected our callback as redirect_uri');
  assert.is(authorize.searchParams.get('scope'), 'personal daily', 'expected only the scopes of the data types the bridge maps');
  assert.ok((authorize.searchParams.get('state') ?? '').length > 40, 'expected a signed state');
  assert.is(authorize.searchParams.get('code_challenge'), null, 'expected no PKCE for Oura');

  const callback = await sim.authorize(authorize.toString());
  const page = await fetch(callback, { redirect: 'manual' });
  assert.is(page.status, 200, 'expected the success page');
  assert.match(await page.text(), 'Oura is connected', 'expected the success message');

  const row = await rowOf('oura', 'OURA-USER-1');
  assert.ok(row, 'expected a vendor_connections row keyed by Oura’s personal_info id');
  assert.is(row!.user_id, 'user-42', 'expected our user id from the signed link');
  assert.is(row!.status, 'active', 'expected an active connection');
  const [access, refresh] = sim.issuedTokens;
  assert.not.ok(row!.whole.includes(access!) || row!.whole.includes(refresh!), 'expected neither token in clear anywhere in the row');
  assert.is(cipher.decrypt(row!.access_token, 'oura\nOURA-USER-1\naccess'), access, 'expected the sealed access token to be the issued one');
  assert.is(cipher.decrypt(row!.refresh_token!, 'oura\nOURA-USER-1\nrefresh'), refresh, 'expected the sealed refresh token to be the issued one');
});

test('Garmin: PKCE S256 — the challenge goes to authorize, the matching verifier to the token endpoint', async () => {
  const sim = sims.get('garmin')!;
  sim.vendorUserId = 'garmin-uuid-1';
  const page = await connect('garmin', 'user-7');
  assert.is(page.status, 200, 'expected Garmin connected (the simulator refuses a wrong verifier)');
  assert.is(sim.lastAuthorize?.get('code_challenge_method'), 'S256', 'expected S256');
  assert.match(sim.lastTokenForm?.get('code_verifier') ?? '', /^[A-Za-z0-9_-]{43}$/, 'expected the verifier on the exchange');
  assert.is((await rowOf('garmin', 'garmin-uuid-1'))?.user_id, 'user-7', 'expected the Garmin row');
});

test('Polar: Basic client auth, x_user_id from the token answer, user registered, no refresh token', async () => {
  const sim = sims.get('polar')!;
  sim.vendorUserId = '4455';
  const page = await connect('polar', 'user-8');
  assert.is(page.status, 200, 'expected Polar connected');
  const row = await rowOf('polar', '4455');
  assert.is(row?.status, 'active', 'expected an active Polar row (registration succeeded)');
  assert.is(row?.refresh_token, null, 'expected no refresh token: Polar issues none');
  assert.is(sim.lastTokenForm?.get('client_id'), null, 'expected the client id in the Basic header, not the form');
});

test('Withings: the {status, body} answer is unwrapped and userid read from it', async () => {
  const sim = sims.get('withings')!;
  sim.vendorUserId = '31337';
  const page = await connect('withings', 'user-9');
  assert.is(page.status, 200, 'expected Withings connected');
  assert.is(sim.lastTokenForm?.get('action'), 'requesttoken', 'expected action=requesttoken');
  assert.is((await rowOf('withings', '31337'))?.user_id, 'user-9', 'expected the Withings row');
});

test('reconnecting replaces the tokens and reactivates a revoked connection', async () => {
  const sim = sims.get('whoop')!;
  sim.vendorUserId = '10129';
  assert.is((await connect('whoop', 'user-10')).status, 200, 'expected the first WHOOP connect');
  await pool.query(`UPDATE vendor_connections SET status = 'revoked', disconnected_at = now(), access_token = NULL, refresh_token = NULL, token_key_id = NULL WHERE vendor = 'whoop'`);
  assert.is((await connect('whoop', 'user-10')).status, 200, 'expected the reconnect');
  const { rows } = await pool.query(`SELECT status, disconnected_at FROM vendor_connections WHERE vendor = 'whoop' AND vendor_user_id = '10129'`);
  assert.equal(rows, [{ status: 'active', disconnected_at: null }], 'expected one active row again');
});

test('the user declines at the vendor → 403 page, nothing stored', async () => {
  const sim = sims.get('oura')!;
  sim.vendorUserId = 'OURA-DECLINER';
  sim.denyNextAuthorization();
  const page = await connect('oura', 'user-43');
  assert.is(page.status, 403, 'expected 403 for a declined authorization');
  assert.match(await page.text(), 'You declined access at Oura', 'expected the page to say so');
  assert.is(await rowOf('oura', 'OURA-DECLINER'), undefined, 'expected no row');
});

test('a forged, a foreign or an expired state → 400 and nothing stored', async () => {
  const sim = sims.get('oura')!;
  sim.vendorUserId = 'OURA-STATE';
  const callback = new URL(await sim.authorize((await startAt('oura', 'user-44')).toString()));
  const forged = new URL(callback);
  forged.searchParams.set('state', `${callback.searchParams.get('state')!.split('.')[0]}.AAAA`);
  assert.is((await fetch(forged)).status, 400, 'expected a forged state refused');
  const foreign = new URL(callback);
  foreign.pathname = foreign.pathname.replace('/oura/', '/whoop/');
  assert.is((await fetch(foreign)).status, 400, 'expected an Oura state refused at the WHOOP callback');
  clock = Math.floor(Date.now() / 1000) + 601;
  try {
    const late = await fetch(callback);
    assert.is(late.status, 400, 'expected a state older than ten minutes refused');
    assert.match(await late.text(), 'longer than ten minutes', 'expected the page to say why');
  } finally {
    clock = undefined;
  }
  assert.is(await rowOf('oura', 'OURA-STATE'), undefined, 'expected no row');
  assert.is((await fetch(callback)).status, 200, 'expected the same callback to work within its ten minutes');
});

test('a bad link: wrong signature or expired → 403; unknown vendor → 404; no state → 400', async () => {
  const tampered = link('oura', 'user-45').replace('user=user-45', 'user=user-46');
  assert.is((await fetch(tampered, { redirect: 'manual' })).status, 403, 'expected a changed user refused');
  const expired = await fetch(link('oura', 'user-45', -5), { redirect: 'manual' });
  assert.is(expired.status, 403, 'expected an expired link refused');
  assert.match(await expired.text(), 'expired', 'expected the page to say the link expired');
  assert.is((await fetch(`${base}/connect/fitbit?user=x&exp=1&sig=00`, { redirect: 'manual' })).status, 404, 'expected an unknown vendor 404');
  assert.is((await fetch(`${base}/connect/healthkit?user=x&exp=1&sig=00`, { redirect: 'manual' })).status, 404, 'expected a vendor without OAuth 404');
  assert.is((await fetch(`${base}/connect/oura/callback?code=abc`)).status, 400, 'expected a callback without state refused');
  assert.is((await fetch(`${base}/connect/oura`, { method: 'POST' })).status, 405, 'expected POST refused');
});

test('the user unticked the profile scope (user-id endpoint answers 401) → 403 page asking to keep it, nothing stored', async () => {
  const sim = sims.get('oura')!;
  sim.vendorUserId = 'OURA-NO-PROFILE';
  sim.script('user-id', { status: 401, body: { status: 401, title: 'Missing Scopes' } });
  const page = await connect('oura', 'user-47');
  assert.is(page.status, 403, 'expected 403 when the vendor refuses the user id');
  assert.match(await page.text(), 'keep the profile permission enabled', 'expected the page to say what to do');
  assert.is(await rowOf('oura', 'OURA-NO-PROFILE'), undefined, 'expected no row');
});

test('the vendor failing the exchange → 502; a used code → 400', async () => {
  const sim = sims.get('oura')!;
  sim.vendorUserId = 'OURA-FLAKY';
  const callback = await sim.authorize((await startAt('oura', 'user-46')).toString());
  sim.script('token', { status: 503 });
  const failed = await fetch(callback);
  assert.is(failed.status, 502, 'expected 502 when the vendor’s token endpoint fails');
  assert.is(await rowOf('oura', 'OURA-FLAKY'), undefined, 'expected no row after a failed exchange');
  const reused = await sim.authorize((await startAt('oura', 'user-46')).toString());
  assert.is((await fetch(reused)).status, 200, 'expected a fresh attempt to succeed');
  assert.is((await fetch(reused)).status, 400, 'expected the same code refused the second time (invalid_grant)');
});

test('metrics count connect outcomes by vendor, without tokens or users', async () => {
  const text = await metrics.registry.metrics();
  assert.match(text, 'bridge_connection_connects_total{vendor="oura",outcome="connected"} 3', 'expected the three Oura connections');
  assert.match(text, 'bridge_connection_connects_total{vendor="oura",outcome="declined"} 2', 'expected the declined one and the one without the profile scope');
  assert.match(text, 'bridge_connection_connects_total{vendor="oura",outcome="bad_state"} 2', 'expected the forged and the expired state (the foreign one counts at WHOOP)');
  assert.match(text, 'bridge_connection_connects_total{vendor="oura",outcome="vendor_error"} 1', 'expected the failed exchange');
  assert.match(text, 'bridge_connection_connects_total{vendor="oura",outcome="code_invalid"} 1', 'expected the reused code');
  for (const sim of sims.values()) for (const token of sim.issuedTokens) assert.not.ok(text.includes(token), 'expected no token in the metrics');
  assert.not.ok(text.includes('user-42'), 'expected no user id in the metrics');
});

test('no token, code, client secret, link secret or user id in any log line', () => {
  const logged = lines.join('');
  assert.ok(logged.includes('vendor connected'), 'expected the connections to be logged at all');
  for (const sim of sims.values()) {
    for (const token of sim.issuedTokens) assert.not.ok(logged.includes(token), 'expected no token in the logs');
    assert.not.ok(logged.includes(sim.clientSecret), 'expected no client secret in the logs');
  }
  assert.not.ok(logged.includes(linkSecret), 'expected no link secret in the logs');
  for (const id of ['user-42', 'OURA-USER-1', 'garmin-uuid-1', '31337']) assert.not.ok(logged.includes(id), `expected no user id (${id}) in the logs`);
});

test.run();
