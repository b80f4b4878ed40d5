import { readFileSync } from 'node:fs';
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
import { connectDocumentedUsers, documented, documentedUsers, serveDocumented } from '../support/vendor-sim/documented-resources.ts';
import { normalizeVerified } from '../../src/vendors/normalize-record.ts';
import { defaultMaxBodyBytes, topicMessageBytes } from '../../src/topic-limits.ts';
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
  assert.equal(out[0]!.value['documents'], { daily_sleep: [documented.ouraDailySleep] }, 'expected the fetched document');
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

test('an Oura notification of a data type normalize maps to no event (workout, session, daily_spo2) costs no request and leaves nothing behind', async () => {
  const { driver, pipe, read, count } = await setup();
  for (const [event_type, data_type] of [['create', 'workout'], ['update', 'session'], ['delete', 'daily_spo2']] as const) {
    await pipe('oura', `oura:${ouraUser}`, { ...documented.ouraNotification, event_type, data_type });
  }
  assert.is((await read('oura')).length, 0, 'expected no output, no deletion of an event never written');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter');
  assert.is(sim.requests('oura').length, 0, 'expected no request of the app’s budget');
  assert.is(await count('unmapped'), '3', 'expected each counted as unmapped');
  await pipe('oura', `oura:${ouraUser}`, documented.ouraNotification);
  assert.is((await read('oura')).length, 1, 'expected a mapped type hydrated as before');
  assert.ok(sim.requests('oura').length > 0, 'with a request of its own');
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

// A night's heart rate as Google Health lists it: the fixture's sample every 5 s from 22:00 to
// 07:00, 6,480 points on 7 pages, about 1.6 MB of data points.
const googleUser = documentedUsers['google-health'];
const heartRateFixture = (JSON.parse(readFileSync(new URL('../fixtures/vendors/google-health/api/heart-rate.json', import.meta.url), 'utf8')) as { dataPoints: Record<string, Record<string, unknown>>[] }).dataPoints[0]!;
const nightOfHeartRate = Array.from({ length: 6_480 }, (_, n) => ({
  ...heartRateFixture,
  heartRate: { sampleTime: { physicalTime: new Date(Date.parse('2025-01-14T22:00:00Z') + n * 5_000).toISOString(), utcOffset: '3600s' }, beatsPerMinute: String(48 + (n % 40)) },
}));
const heartRateNotification = { data: { ...(documented.googleHealthNotification['data'] as object), dataType: 'heart-rate' } };
const heartRatePath = '/v4/users/me/dataTypes/heart-rate/dataPoints';
const pagesOf = (points: readonly object[], size: number) =>
  Array.from({ length: Math.ceil(points.length / size) }, (_, i) => ({ status: 200, body: { dataPoints: points.slice(i * size, (i + 1) * size), nextPageToken: (i + 1) * size < points.length ? `page-${i + 1}` : '' } }));
const readGoogleHealth = async (driver: TopologyTestDriver) =>
  (await driver.outputTopic('hydrated.google-health', serdes.string(), serdes.bytes()).readRecords()).map((record) => ({ ...record, value: record.value ?? Buffer.alloc(0) }));
const eventIdsOf = (records: readonly { key: string | null; value: Buffer; headers: Record<string, string> }[]) =>
  records.flatMap((record) => normalizeVerified({ ...record, topic: 'hydrated.google-health', timestamp: 0 }).events.map((event) => event.eventId));

test('a night of heart rate past the topic limit is split across records within it, which normalize to the events of the whole', async () => {
  const { driver } = await setup();
  sim.script('google-health', heartRatePath, pagesOf(nightOfHeartRate, 1_000));
  const whole = { user_id: googleUser, data_type: 'heart-rate', data_points: nightOfHeartRate };
  assert.ok(Buffer.byteLength(JSON.stringify(whole)) > topicMessageBytes(defaultMaxBodyBytes, 'hydrated.google-health'), 'expected the night to pass the hydrated topic’s max.message.bytes');
  await driver.inputTopic('verified.google-health', serdes.string(), serdes.bytes()).pipe({ key: `google-health:${googleUser}`, value: Buffer.from(JSON.stringify(heartRateNotification)), headers });

  const out = await readGoogleHealth(driver);
  assert.ok(out.length >= 2, `expected several records, got ${out.length}`);
  for (const record of out) {
    assert.ok(record.value.length <= defaultMaxBodyBytes, `expected each value within INGRESS_MAX_BODY_BYTES, got ${record.value.length}`);
    assert.is(record.key, `google-health:${googleUser}`, 'expected every part keyed by the user');
    assert.equal(record.headers, { 'x-request-id': 'r-1', 'received-at': '1736925163418', 'content-type': 'application/json' }, 'expected the carried headers on every part');
  }
  const parts = out.map((record) => JSON.parse(record.value.toString('utf8')) as Record<string, unknown>);
  assert.ok(parts.every((part) => part['user_id'] === googleUser && part['data_type'] === 'heart-rate'), 'expected the user and the data type on every part');
  assert.equal(parts.flatMap((part) => part['data_points'] as unknown[]), nightOfHeartRate, 'expected every point once, in order');

  const split = eventIdsOf(out);
  const unsplit = eventIdsOf([{ key: out[0]!.key, value: Buffer.from(JSON.stringify(whole)), headers: out[0]!.headers }]);
  assert.is(new Set(split).size, nightOfHeartRate.length, 'expected one event per point');
  assert.equal(split, unsplit, 'expected the parts to normalize to the events, and eventIds, of the whole night');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter');
});

test('a single document larger than a hydrated record holds is the dead letter record_too_large, not a record the broker refuses', async () => {
  const { driver, count } = await setup();
  const oversized = { ...nightOfHeartRate[0]!, dataSource: { ...(heartRateFixture['dataSource'] as object), note: 'x'.repeat(defaultMaxBodyBytes) } };
  sim.script('google-health', heartRatePath, pagesOf([nightOfHeartRate[1]!, oversized], 10));
  await driver.inputTopic('verified.google-health', serdes.string(), serdes.bytes()).pipe({ key: `google-health:${googleUser}`, value: Buffer.from(JSON.stringify(heartRateNotification)), headers });
  assert.equal(driver.deadLetters().map((d) => d.reason), ['record_too_large'], 'expected one record_too_large dead letter');
  assert.is(driver.deadLetters()[0]!.headers['dlq-source'], 'verified.google-health/0/0', 'expected the notification kept for a redrive');
  assert.match(driver.deadLetters()[0]!.headers['dlq-detail']!, 'INGRESS_MAX_BODY_BYTES', 'expected the detail to name the limit to raise');
  assert.is((await readGoogleHealth(driver)).length, 0, 'expected nothing written');
  assert.is(await count('document'), '1', 'expected the fetched document counted');
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

test('a backfilled window larger than a record holds is split as live hydration splits it', async () => {
  sim = await startVendorApiSim();
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  connectDocumentedUsers(sim, tokens);
  const nights = Array.from({ length: 6 }, (_, n) => ({ dailyHeartRateVariability: { date: { year: 2025, month: 1, day: 13 + n }, averageHeartRateVariabilityMilliseconds: 40 + n, entropy: 2.9 } }));
  sim.serve('google-health', '/v4/users/me/dataTypes/daily-heart-rate-variability/dataPoints', { dataPoints: nights, nextPageToken: '' });
  sim.serve('google-health', '/v4/users/me/dataTypes/daily-resting-heart-rate/dataPoints', { dataPoints: [], nextPageToken: '' });
  const maxValueBytes = 800; // two nights a record
  const driver = new TopologyTestDriver(hydrateBackfillTopology({ hydration: simHydration(sim.baseUrl, tokens), maxValueBytes }));
  const { key, value } = backfillRecord({ vendor: 'google-health', vendorUserId: googleUser, startDate: '2025-01-13', endDate: '2025-01-20' });
  await driver.inputTopic('hydrate.backfill', serdes.string(), serdes.bytes()).pipe({ key, value });
  const out = await readGoogleHealth(driver);
  assert.ok(out.length >= 2 && out.every((record) => record.value.length <= maxValueBytes), `expected several records within ${maxValueBytes} bytes: ${out.map((r) => r.value.length).join(', ')}`);
  assert.equal(out.flatMap((record) => (JSON.parse(record.value.toString('utf8')) as { data_points: unknown[] }).data_points), nights, 'expected every night once, in order');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter');
});

test.run();
