import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VendorUnavailableError } from '../../../src/connections/oauth-errors.ts';
import { ConnectionUnusableError, type TokenSource } from '../../../src/connections/token-source.ts';
import { hydrateNotification } from '../../../src/hydrate/hydrate-notification.ts';
import type { RateLimits } from '../../../src/hydrate/rate-limits.ts';
import { DependencyUnavailableError, RecordError } from '../../../src/streams/errors.ts';
import type { MemoryTokenSource } from '../../support/memory-token-source.ts';
import type { VendorApiSim } from '../../support/vendor-sim/api-server.ts';
import { documented, startDocumentedSim } from '../../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../../support/vendor-sim/sim-hydration.ts';

// One notification → the fetches it needs, through the simulator, with the user's token.

let sim: VendorApiSim;
let tokens: MemoryTokenSource;
const ouraUser = String(documented.ouraNotification['user_id']);
const body = (json: object) => Buffer.from(JSON.stringify(json));

const hydration = (limits?: RateLimits) => simHydration(sim.baseUrl, tokens, limits ? { limits } : {});
const failure = (promise: Promise<unknown>) => promise.then(() => assert.unreachable('expected hydration to fail'), (error: unknown) => error);

test.before.each(async () => void ({ sim, tokens } = await startDocumentedSim()));
test.after.each(() => sim.close());

test('an Oura daily_sleep notification fetches only its document: the night’s sleep period has its own notification', async () => {
  const result = await hydrateNotification(hydration(), 'oura', body(documented.ouraNotification));
  assert.equal(
    result,
    [{ kind: 'document', vendorUserId: ouraUser, value: { user_id: ouraUser, data_type: 'daily_sleep', documents: { daily_sleep: [documented.ouraDailySleep] } } }],
    'expected the daily_sleep document for the notification user',
  );
  assert.equal(sim.requests('oura').map((r) => r.path), ['/v2/usercollection/daily_sleep/8f9a5221-639e-4a85-81cb-4065ef23f979'], 'expected the document alone, no list of the day’s sleep periods');
});

test('an Oura daily_readiness notification fetches only its document', async () => {
  const notification = { ...documented.ouraNotification, data_type: 'daily_readiness', object_id: documented.ouraDailyReadiness['id'] };
  const result = await hydrateNotification(hydration(), 'oura', body(notification));
  assert.equal(result, [{ kind: 'document', vendorUserId: ouraUser, value: { user_id: ouraUser, data_type: 'daily_readiness', documents: { daily_readiness: [documented.ouraDailyReadiness] } } }], 'expected the readiness document');
  assert.is(sim.requests('oura').length, 1, 'expected one request');
});

test('a WHOOP recovery.updated goes sleep → cycle → recovery and yields the recovery', async () => {
  const result = await hydrateNotification(hydration(), 'whoop', body(documented.whoopNotification));
  assert.equal(result, [{ kind: 'document', vendorUserId: '10129', value: documented.whoopRecovery }], 'expected the recovery document');
  assert.equal(
    sim.requests('whoop').map((r) => r.path),
    ['/v2/activity/sleep/ecfc6a15-4661-442f-a9a4-f160dd7afae8', '/v2/cycle/93845/recovery'],
    'expected the sleep, then its cycle’s recovery',
  );
});

test('401 → exactly one refresh, then the request succeeds with the new token', async () => {
  sim.revoke('oura-token');
  const result = await hydrateNotification(hydration(), 'oura', body({ ...documented.ouraNotification, data_type: 'daily_readiness', object_id: documented.ouraDailyReadiness['id'] }));
  assert.equal(result.map((r) => r.kind), ['document'], 'expected success after the refresh');
  assert.equal([...tokens.refreshes.values()], [1], 'expected exactly one refresh');
  assert.equal(sim.requests('oura').map((r) => r.status), [401, 200], 'expected a 401, then a 200');
});

test('a grant revoked at the vendor is the dead letter connection_revoked', async () => {
  sim.revoke('oura-token');
  const oura = tokens.connectionFor('oura', ouraUser);
  tokens.revokeGrant('oura', ouraUser);
  assert.ok(await oura, 'the connection existed before the revocation');
  const error = await failure(hydrateNotification(hydration(), 'oura', body(documented.ouraNotification)));
  assert.instance(error, RecordError, 'expected a dead letter');
  assert.is((error as RecordError).reason, 'connection_revoked', 'expected connection_revoked');
});

test('a refresh the vendor still refuses, and a user with no connection, are connection_revoked', async () => {
  sim.script('whoop', '/v2/activity/sleep', [{ status: 401 }, { status: 401 }]);
  const refused = await failure(hydrateNotification(hydration(), 'whoop', body(documented.whoopNotification)));
  assert.is((refused as RecordError).reason, 'connection_revoked', 'expected connection_revoked after a second 401');
  const stranger = await failure(hydrateNotification(hydration(), 'whoop', body({ ...documented.whoopNotification, user_id: 999 })));
  assert.is((stranger as RecordError).reason, 'connection_revoked', 'expected connection_revoked for an unknown user');
  assert.not.match((stranger as RecordError).detail, '999', 'expected no user id in the detail');
});

test('a connection in error (a refresh refused for another reason than a revoked grant) is still tried', async () => {
  const connected = await tokens.connectionFor('oura', ouraUser);
  const inError: TokenSource = {
    connectionFor: async () => ({ ...connected!, status: 'error' }),
    accessToken: (connection) => tokens.accessToken(connection),
    refreshAfterUnauthorized: (connection, rejected) => tokens.refreshAfterUnauthorized(connection, rejected),
  };
  const [result] = await hydrateNotification(simHydration(sim.baseUrl, inError), 'oura', body(documented.ouraNotification));
  assert.is(result?.kind, 'document', 'expected the document fetched with the connection’s token, not connection_revoked');
});

test('404 → gone (acknowledged); deletions and inline documents need no request', async () => {
  const gone = await hydrateNotification(hydration(), 'whoop', body({ ...documented.whoopNotification, type: 'sleep.updated', id: 'no-such-sleep' }));
  assert.equal(gone, [{ kind: 'gone', vendorUserId: '10129' }], 'expected a deleted resource to be acknowledged');
  const deleted = await hydrateNotification(hydration(), 'whoop', body({ ...documented.whoopNotification, type: 'recovery.deleted' }));
  assert.equal(deleted.map((r) => r.kind), ['deleted'], 'expected a deletion');
  const inline = await hydrateNotification(hydration(), 'whoop', body(documented.whoopRecovery));
  assert.equal(inline, [{ kind: 'carries-data' }], 'expected the inline document to pass');
  assert.is(sim.requests('whoop').length, 1, 'expected only the 404 request');
});

test('a token source that fails (its store down) pauses instead of dead-lettering', async () => {
  const down = () => Promise.reject(new Error('connect ECONNREFUSED'));
  const storeDown: TokenSource = { connectionFor: down, accessToken: down, refreshAfterUnauthorized: down };
  const broken = simHydration(sim.baseUrl, storeDown);
  const error = await failure(hydrateNotification(broken, 'oura', body(documented.ouraNotification)));
  assert.instance(error, DependencyUnavailableError, 'expected a pause');
  assert.is((error as DependencyUnavailableError).dependency, 'connections', 'expected the connections as the dependency');
});

test('a connection only a fix can make usable is the dead letter connection_error, its detail free of tokens and ids', async () => {
  const connected = await tokens.connectionFor('oura', ouraUser);
  const refused = new ConnectionUnusableError('oura', 'the token endpoint refused a refresh (401 invalid_client)');
  const unusable = () => Promise.reject(refused);
  const clientRefused: TokenSource = { connectionFor: async () => connected, accessToken: unusable, refreshAfterUnauthorized: unusable };
  const error = await failure(hydrateNotification(simHydration(sim.baseUrl, clientRefused), 'oura', body(documented.ouraNotification)));
  assert.instance(error, RecordError, 'expected a dead letter, not a pause that holds the partition');
  assert.is((error as RecordError).reason, 'connection_error', 'expected connection_error');
  assert.match((error as RecordError).detail, 'refused a refresh (401 invalid_client); redrive once fixed', 'expected what failed and what to do');
  assert.not.match((error as RecordError).detail, ouraUser, 'expected no user id in the detail');
  assert.not.match((error as RecordError).detail, 'oura-token', 'expected no token in the detail');
});

test('a token endpoint’s 429 pauses for its Retry-After, held between a second and an hour', async () => {
  const connected = await tokens.connectionFor('oura', ouraUser);
  const waitFor = async (retryAfterSeconds: number | undefined) => {
    const busy = () => Promise.reject(new VendorUnavailableError('oura', 'token endpoint (http_429)', 429, retryAfterSeconds));
    const endpointBusy: TokenSource = { connectionFor: async () => connected, accessToken: busy, refreshAfterUnauthorized: busy };
    const error = await failure(hydrateNotification(simHydration(sim.baseUrl, endpointBusy), 'oura', body(documented.ouraNotification)));
    assert.instance(error, DependencyUnavailableError, 'expected a pause');
    return (error as DependencyUnavailableError).retryAfterMs;
  };
  assert.is(await waitFor(30), 30_000, 'expected the token endpoint’s Retry-After: 30 → 30 s');
  assert.is(await waitFor(0), 1_000, 'expected Retry-After: 0 (or a past date) → 1 s');
  assert.is(await waitFor(10 ** 7), 3_600_000, 'expected a wait of months → 1 h');
  assert.is(await waitFor(undefined), 5_000, 'expected a 5xx without Retry-After → 5 s');
});

test('an exhausted rate limit pauses before any request', async () => {
  const limits: RateLimits = { take: async (vendor) => Promise.reject(new DependencyUnavailableError(`${vendor}-rate-limit`, 1_500)) };
  const error = await failure(hydrateNotification(hydration(limits), 'oura', body(documented.ouraNotification)));
  assert.instance(error, DependencyUnavailableError, 'expected a pause');
  assert.is((error as DependencyUnavailableError).dependency, 'oura-rate-limit', 'expected the rate limit as the dependency');
  assert.is(sim.requests('oura').length, 0, 'expected no request over the limit');
});

test.run();
