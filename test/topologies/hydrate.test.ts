import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { ConnectionUnusableError, type Connection, type TokenSource } from '../../src/connections/token-source.ts';
import { DependencyUnavailableError, serdes } from '../../src/streams/index.ts';
import { TopologyTestDriver } from '../../src/streams/testing/index.ts';
import { hydrateBackfillTopology, hydrateTopology } from '../../topologies/hydrate.ts';
import { backfillRecord } from '../../src/hydrate/backfill.ts';
import { collectionStyles } from '../support/vendor-sim/api-server.ts';
import { MemoryTokenSource } from '../support/memory-token-source.ts';
import { startVendorApiSim, type VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { connectDocumentedUsers, documented, serveDocumented } from '../support/vendor-sim/documented-resources.ts';
import { simHydration } from '../support/vendor-sim/sim-hydration.ts';

const ouraUser = String(documented.ouraNotification['user_id']);
const headers = { 'x-request-id': 'r-1', 'received-at': '1736925163418', 'x-oura-signature': 'ABC', 'x-oura-timestamp': '1736925163' };
let sim: VendorApiSim;

async function setup() {
  sim = await startVendorApiSim();
  serveDocumented(sim);
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  connectDocumentedUsers(sim, tokens);
  const hydration = simHydration(sim.baseUrl, tokens);
  const metrics = new Registry();
  const driver = new TopologyTestDriver(hydrateTopology({ hydration, metrics }));
  const pipe = (vendor: 'oura' | 'whoop', key: string, value: object) =>
    driver.inputTopic(`verified.${vendor}`, serdes.string(), serdes.bytes()).pipe({ key, value: Buffer.from(JSON.stringify(value)), headers });
  const read = (vendor: 'oura' | 'whoop') => driver.outputTopic(`hydrated.${vendor}`, serdes.string(), serdes.json<Record<string, unknown>>()).readRecords();
  const count = async (outcome: string) => (await metrics.getSingleMetricAsString('hydrate_notifications_total')).split('\n').find((l) => l.includes(`outcome="${outcome}"`))?.split(' ')[1];
  return { driver, pipe, read, tokens, count };
}

const test = suite('hydrate topology');
test.after.each(() => sim.close());

test('an Oura daily_sleep notification becomes its documents on hydrated.oura, same key, carried headers only', async () => {
  const { driver, pipe, read } = await setup();
  await pipe('oura', `oura:${ouraUser}`, documented.ouraNotification);
  const out = await read('oura');
  assert.is(out.length, 1, 'expected one hydrated record');
  assert.is(out[0]!.key, `oura:${ouraUser}`, 'expected the notification key');
  assert.equal(out[0]!.headers, { 'x-request-id': 'r-1', 'received-at': '1736925163418', 'content-type': 'application/json' }, 'expected the carried headers and the document’s JSON type, no signature');
  assert.equal(out[0]!.value['documents'], { daily_sleep: [documented.ouraDailySleep], sleep: documented.ouraSleepOfDay['data'] }, 'expected the fetched documents');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letters');
});

test('a WHOOP recovery.updated becomes the recovery document on hydrated.whoop', async () => {
  const { pipe, read } = await setup();
  await pipe('whoop', 'whoop:10129', documented.whoopNotification);
  const out = await read('whoop');
  assert.equal(out.map((r) => r.value), [documented.whoopRecovery], 'expected the recovery document');
});

test('deletions become op: delete records naming the document', async () => {
  const { pipe, read } = await setup();
  await pipe('oura', `oura:${ouraUser}`, { ...documented.ouraNotification, event_type: 'delete' });
  await pipe('whoop', 'whoop:10129', { ...documented.whoopNotification, type: 'workout.deleted' });
  const oura = await read('oura');
  assert.is(oura[0]!.headers['op'], 'delete', 'expected op: delete on the Oura deletion');
  assert.equal(oura[0]!.value, { user_id: ouraUser, deleted: { type: 'daily_sleep', id: '8f9a5221-639e-4a85-81cb-4065ef23f979' } }, 'expected the deleted document named');
  const whoop = await read('whoop');
  assert.is(whoop[0]!.headers['op'], 'delete', 'expected op: delete on the WHOOP deletion');
  assert.equal(whoop[0]!.value['deleted'], { type: 'workout', id: 'ecfc6a15-4661-442f-a9a4-f160dd7afae8' }, 'expected the deleted workout named');
});

test('a resource the vendor no longer has is acknowledged and counted, not dead-lettered', async () => {
  const { driver, pipe, read, count } = await setup();
  await pipe('whoop', 'whoop:10129', { ...documented.whoopNotification, type: 'workout.updated', id: 'deleted-meanwhile' });
  assert.is((await read('whoop')).length, 0, 'expected no output');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter');
  assert.is(await count('gone'), '1', 'expected the gone counter at 1');
});

test('an inline document passes unchanged; a revoked connection is the dead letter connection_revoked', async () => {
  const { driver, pipe, read, tokens } = await setup();
  await pipe('whoop', 'whoop:10129', documented.whoopRecovery);
  assert.equal((await read('whoop')).map((r) => r.value), [documented.whoopRecovery], 'expected the inline document as it came');
  tokens.revokeGrant('oura', ouraUser);
  await pipe('oura', `oura:${ouraUser}`, documented.ouraNotification);
  assert.equal(driver.deadLetters().map((d) => d.reason), ['connection_revoked'], 'expected one connection_revoked dead letter');
  assert.is(driver.deadLetters()[0]!.headers['dlq-source'], 'verified.oura/0/0', 'expected the source for a redrive');
});

test('a connection only a fix can make usable is the dead letter connection_error; the next notification still goes through', async () => {
  sim = await startVendorApiSim();
  serveDocumented(sim);
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  connectDocumentedUsers(sim, tokens);
  const secret = 'refresh-7a1c55e0';
  const unusable = new ConnectionUnusableError('oura', 'its access token does not decrypt: token key 0a1b2c3d4e5f is not in TOKEN_ENCRYPTION_KEYS', { cause: new Error(secret) });
  const brokenFor = (connection: Connection) => (connection.vendorUserId === 'broken-user' ? Promise.reject(unusable) : undefined);
  const keyDropped: TokenSource = {
    connectionFor: async (vendor, vendorUserId) => (vendorUserId === 'broken-user' ? { ...(await tokens.connectionFor(vendor, ouraUser))!, vendorUserId } : tokens.connectionFor(vendor, vendorUserId)),
    accessToken: (connection) => brokenFor(connection) ?? tokens.accessToken(connection),
    refreshAfterUnauthorized: (connection, rejected) => brokenFor(connection) ?? tokens.refreshAfterUnauthorized(connection, rejected),
  };
  const driver = new TopologyTestDriver(hydrateTopology({ hydration: simHydration(sim.baseUrl, keyDropped) }));
  const input = driver.inputTopic('verified.oura', serdes.string(), serdes.bytes());
  await input.pipe({ key: 'oura:broken-user', value: Buffer.from(JSON.stringify({ ...documented.ouraNotification, user_id: 'broken-user' })), headers });
  await input.pipe({ key: `oura:${ouraUser}`, value: Buffer.from(JSON.stringify(documented.ouraNotification)), headers });
  const [letter, ...others] = driver.deadLetters();
  assert.is(letter?.reason, 'connection_error', 'expected the broken connection’s notification dead-lettered as connection_error, not a pause');
  assert.is(others.length, 0, 'expected one dead letter');
  assert.is(letter!.headers['dlq-source'], 'verified.oura/0/0', 'expected the source for a redrive');
  assert.match(letter!.headers['dlq-detail']!, 'TOKEN_ENCRYPTION_KEYS', 'expected the detail to say what to fix');
  assert.not.match(letter!.headers['dlq-detail']!, secret, 'expected nothing of the cause in the detail');
  const out = await driver.outputTopic('hydrated.oura', serdes.string(), serdes.json<Record<string, unknown>>()).readRecords();
  assert.equal(out.map((r) => r.key), [`oura:${ouraUser}`], 'expected the other user’s notification hydrated after it');
});

test('a 429 rejects the record with the vendor’s Retry-After (the runner pauses), no dead letter', async () => {
  const { driver, pipe } = await setup();
  sim.script('oura', '/v2/usercollection/daily_sleep', [{ status: 429, headers: { 'retry-after': '2' } }]);
  const error = await pipe('oura', `oura:${ouraUser}`, documented.ouraNotification).then(() => undefined, (e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'expected the record to be unavailable');
  assert.is((error as DependencyUnavailableError).retryAfterMs, 2_000, 'expected the vendor’s 2 s');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter');
});

test('a backfill request on hydrate.backfill becomes the window’s documents on hydrated.<vendor>, keyed by the user, the window in a header', async () => {
  sim = await startVendorApiSim();
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  connectDocumentedUsers(sim, tokens);
  sim.collection('whoop', '/v2/recovery', collectionStyles.whoop, [documented.whoopRecovery]);
  sim.collection('whoop', '/v2/activity/sleep', collectionStyles.whoop, [documented.whoopSleep]);
  sim.collection('whoop', '/v2/activity/workout', collectionStyles.whoop, []);
  const metrics = new Registry();
  const driver = new TopologyTestDriver(hydrateBackfillTopology({ hydration: simHydration(sim.baseUrl, tokens), metrics }));
  const input = driver.inputTopic('hydrate.backfill', serdes.string(), serdes.bytes());
  const { key, value } = backfillRecord({ vendor: 'whoop', vendorUserId: '10129', startDate: '2025-01-13', endDate: '2025-01-20' });
  await input.pipe({ key, value });
  const out = await driver.outputTopic('hydrated.whoop', serdes.string(), serdes.json<Record<string, unknown>>()).readRecords();
  assert.equal(out.map((r) => r.value), [documented.whoopRecovery, documented.whoopSleep], 'expected the recovery and the sleep of the window, as WHOOP serves them');
  assert.ok(out.every((r) => r.key === 'whoop:10129'), 'expected every document keyed <vendor>:<vendor user id>');
  assert.is(out[0]!.headers['backfill'], '2025-01-13/2025-01-20', 'expected the window named in a header');
  assert.is(out[0]!.headers['content-type'], 'application/json', 'expected the live documents’ content type');
  assert.match(await metrics.getSingleMetricAsString('hydrate_backfilled_documents_total'), 'vendor="whoop"} 2', 'expected two backfilled WHOOP documents counted');

  await input.pipe({ key: 'polar:1', value: Buffer.from(JSON.stringify({ vendor: 'polar', vendor_user_id: '1', start_date: '2025-01-01', end_date: '2025-01-02' })) });
  assert.equal(driver.deadLetters().map((d) => d.reason), ['unsupported_backfill'], 'expected a vendor without history dead-lettered as unsupported_backfill');
  assert.is(driver.deadLetters()[0]!.headers['dlq-source'], 'hydrate.backfill/0/1', 'expected the request’s source for a redrive');
});

test.run();
