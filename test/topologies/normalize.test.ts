import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import { Registry } from 'prom-client';
import type { BiometricEvent } from '../../src/events/index.ts';
import { createTerraPayloadFetcher, type TerraPayloadFetcher } from '../../src/vendors/terra/payload-fetch.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { DependencyUnavailableError, serdes } from '../../src/streams/index.ts';
import { memorySchemaStore, TopologyTestDriver } from '../../src/streams/testing/index.ts';
import { topics, verifiedTopic } from '../../src/topics.ts';
import { normalizeTopology, vendorInputTopic } from '../../topologies/normalize.ts';
import type { UserIdDirectory } from '../../src/connections/user-ids.ts';

const fixture = (vendor: string, name: string) => readFileSync(new URL(`../fixtures/vendors/${vendor}/${name}`, import.meta.url));
const receivedAt = 1_736_942_400_000;

function setup(terraFetcher?: TerraPayloadFetcher, userIds?: UserIdDirectory) {
  const store = memorySchemaStore();
  const metrics = new Registry();
  const driver = new TopologyTestDriver(normalizeTopology({ schemaStore: store, metrics, ...(terraFetcher ? { terraFetcher } : {}), ...(userIds ? { userIds } : {}) }));
  // Each vendor's input: hydrated.<vendor> for the id-only vendors, verified.<vendor> for the others.
  const verified = (vendor: string) => driver.inputTopic(vendorInputTopic(vendor as never), serdes.string(), serdes.bytes());
  const terraTopic = driver.inputTopic(topics.terraEvents, serdes.bytes(), serdes.bytes());
  const output = driver.outputTopic(topics.events, serdes.string(), serdes.avro<BiometricEvent>({ store, schema: bridgeSchemas().BiometricEvent.json as Schema }));
  return { driver, verified, terraTopic, output, metrics };
}

async function counterValue(metrics: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

test('a verified Terra sleep becomes an Avro BiometricEvent keyed by user id with receivedAt from ingress', async () => {
  const { verified, output } = setup();
  await verified('terra').pipe({ key: 'terra:a9f1e2d3-4c5b-4a69-8b7c-0d1e2f3a4b5c', value: fixture('terra', 'sleep.json'), headers: { 'received-at': String(receivedAt), 'x-request-id': 'req-1', 'terra-signature': 't=1,v1=ab' } });
  const records = await output.readRecords();
  assert.is(records.length, 1, 'expected one event');
  const [out] = records;
  assert.is(out!.key, 'a9f1e2d3-4c5b-4a69-8b7c-0d1e2f3a4b5c', 'expected the user id as key');
  assert.is(out!.value.hrvRmssdMs, 22.7, 'expected Terra HRV from heart_rate_data.summary');
  assert.is(out!.value.receivedAt, receivedAt, 'expected receivedAt from the received-at header');
  assert.equal(out!.headers, { 'x-request-id': 'req-1', 'received-at': String(receivedAt) }, 'expected request headers carried, signatures dropped');
});

test('events carry our user id where a connection maps the vendor user, the vendor id otherwise', async () => {
  const asked: string[] = [];
  const userIds: UserIdDirectory = {
    userIdFor: (vendor, vendorUserId) => {
      asked.push(`${vendor}:${vendorUserId}`);
      return vendor === 'garmin' && vendorUserId === '4aacafe82427c251df9c9592d0c06768' ? 'our-user-17' : undefined;
    },
  };
  const { verified, output } = setup(undefined, userIds);
  await verified('garmin').pipe({ key: 'garmin:4aacafe82427c251df9c9592d0c06768', value: fixture('garmin', 'dailies-push.json') });
  const records = await output.readRecords();
  assert.equal(records.map((r) => [r.key, r.value.userId]), [['our-user-17', 'our-user-17'], ['7bd0e2c1a9f3b4d5e6f708192a3b4c5d', '7bd0e2c1a9f3b4d5e6f708192a3b4c5d']], 'expected the mapped user replaced in key and value, the unmapped one kept');
  assert.equal(asked, ['garmin:4aacafe82427c251df9c9592d0c06768', 'garmin:7bd0e2c1a9f3b4d5e6f708192a3b4c5d'], 'expected one lookup per event, by the vendor of its source');
  await verified('healthkit').pipe({ key: 'healthkit:hk-user-5521', value: fixture('healthkit', 'sample-batch.json') });
  assert.is(asked.length, 2, 'expected no lookup for HealthKit: our app already sends our user id');
});

test('a user-id lookup that cannot be confirmed pauses instead of dead-lettering', async () => {
  const userIds: UserIdDirectory = { userIdFor: () => Promise.reject(new DependencyUnavailableError('postgres', 1_000)) };
  const { driver, verified, output } = setup(undefined, userIds);
  const error = await verified('garmin').pipe({ key: 'garmin:4aacafe82427c251df9c9592d0c06768', value: fixture('garmin', 'dailies-push.json') }).catch((e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'expected the driver to surface the pause');
  assert.is((await output.readRecords()).length, 0, 'expected no event while the lookup is unavailable');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letter for an unavailable dependency');
});

test('a HealthKit batch and a Garmin push fan out to one event per sample or summary', async () => {
  const { verified, output } = setup();
  await verified('healthkit').pipe({ key: 'healthkit:hk-user-5521', value: fixture('healthkit', 'sample-batch.json') });
  await verified('garmin').pipe({ key: 'garmin:4aacafe82427c251df9c9592d0c06768', value: fixture('garmin', 'dailies-push.json') });
  const records = await output.readRecords();
  assert.is(records.length, 6, 'expected 4 HealthKit + 2 Garmin events');
  assert.equal(records.slice(4).map((r) => r.key), ['4aacafe82427c251df9c9592d0c06768', '7bd0e2c1a9f3b4d5e6f708192a3b4c5d'], 'expected each Garmin summary keyed by its own user');
});

test('id-only notifications are dead-lettered with needs_hydration, never dropped', async () => {
  const { driver, verified, output } = setup();
  await verified('oura').pipe({ key: 'oura:c2b1f6d0', value: fixture('oura', 'notification.json') });
  await verified('whoop').pipe({ key: 'whoop:10129', value: fixture('whoop', 'notification-recovery-updated.json') });
  await verified('withings').pipe({ key: 'withings:38271645', value: fixture('withings', 'notification.form') });
  assert.ok(output.isEmpty(), 'expected no events');
  assert.equal(driver.deadLetters().map((d) => d.reason), ['needs_hydration', 'needs_hydration', 'needs_hydration'], 'expected three needs_hydration dead letters');
  assert.equal(driver.deadLetters()[0]!.value, fixture('oura', 'notification.json'), 'expected the input bytes unchanged in the dead letter');
});

test('hydrated Polar, Withings and Google Health documents become events; a Google Health deletion is a dead letter deletion_unsupported', async () => {
  const { driver, verified, output } = setup();
  const api = (vendor: string, name: string) => JSON.parse(fixture(vendor, `api/${name}`).toString()) as Record<string, unknown>;
  const hydrated = (value: unknown) => Buffer.from(JSON.stringify(value));
  const headers = { 'content-type': 'application/json', 'received-at': String(receivedAt) };
  await verified('polar').pipe({ key: 'polar:475', value: hydrated({ user_id: '475', event: 'EXERCISE', document: api('polar', 'exercise.json') }), headers });
  await verified('withings').pipe({ key: 'withings:38271645', value: hydrated({ user_id: '38271645', appli: '44', startdate: '1', enddate: '2', document: api('withings', 'sleep-getsummary.json')['body'] }), headers });
  await verified('google-health').pipe({ key: 'google-health:1182', value: hydrated({ user_id: '1182', data_type: 'heart-rate-variability', data_points: api('google-health', 'heart-rate-variability.json')['dataPoints'] }), headers });
  await verified('google-health').pipe({ key: 'google-health:1182', value: hydrated({ user_id: '1182', deleted: { type: 'heart-rate-variability', intervals: [] } }), headers: { ...headers, op: 'delete' } });
  const events = await output.readRecords();
  assert.equal(events.map((r) => [r.value.source, r.value.dataType, r.key]), [['POLAR', 'activity', '475'], ['WITHINGS', 'sleep', '38271645'], ['GOOGLE_HEALTH', 'hrv', '1182']], 'expected one event per hydrated document, keyed by the user');
  assert.equal(driver.deadLetters().map((d) => d.reason), ['deletion_unsupported'], 'expected the Google Health deletion dead-lettered as deletion_unsupported');
});

test('every document kind the Polar, Withings and Google Health hydrators write flows to its event; empty windows are counted, malformed documents dead-lettered', async () => {
  const { driver, verified, output, metrics } = setup();
  const api = (vendor: string, name: string) => JSON.parse(fixture(vendor, `api/${name}`).toString()) as Record<string, unknown>;
  const headers = { 'content-type': 'application/json', 'received-at': String(receivedAt) };
  const pipe = (vendor: string, user: string, value: unknown) => verified(vendor).pipe({ key: `${vendor}:${user}`, value: Buffer.from(JSON.stringify(value)), headers });
  for (const [event, name] of [['EXERCISE', 'exercise'], ['SLEEP', 'sleep'], ['CONTINUOUS_HEART_RATE', 'continuous-heart-rate'], ['ACTIVITY_SUMMARY', 'activity-summary'], ['PHYSICAL_INFORMATION', 'physical-info']]) {
    await pipe('polar', '475', { user_id: '475', event, document: api('polar', `${name}.json`) });
  }
  for (const [appli, name] of [['1', 'getmeas'], ['4', 'getmeas-blood-pressure'], ['44', 'sleep-getsummary'], ['16', 'getactivity']]) {
    await pipe('withings', '38271645', { user_id: '38271645', appli, startdate: '1', enddate: '2', document: api('withings', `${name}.json`)['body'] });
  }
  const googleTypes = ['heart-rate-variability', 'daily-resting-heart-rate', 'heart-rate', 'daily-sleep-temperature-derivations', 'weight', 'steps', 'sleep', 'exercise', 'altitude', 'respiratory-rate-sleep-summary', 'run-vo2-max'];
  for (const dataType of googleTypes) await pipe('google-health', '1182', { user_id: '1182', data_type: dataType, data_points: api('google-health', `${dataType}.json`)['dataPoints'] });
  await pipe('withings', '38271645', { user_id: '38271645', appli: '44', startdate: '1', enddate: '2', document: { series: [] } });
  await pipe('google-health', '1182', { user_id: '1182', data_type: 'steps', data_points: [] });
  await pipe('polar', '475', { user_id: '475', event: 'SLEEP', document: { date: '2025-01-15' } });
  const events = await output.readRecords();
  const kinds = (source: string) => events.filter((r) => r.value.source === source).map((r) => r.value.dataType);
  assert.equal(kinds('POLAR'), ['activity', 'sleep', 'heart_rate', 'daily', 'body'], 'expected one Polar event per document kind');
  assert.equal(kinds('WITHINGS'), ['body', 'body', 'body', 'sleep', 'activity'], 'expected a body event per measure group, then the night and the day');
  assert.equal(kinds('GOOGLE_HEALTH'), ['hrv', 'heart_rate', 'heart_rate', 'heart_rate', 'daily', 'body', 'activity', 'sleep', 'activity', 'activity', 'sleep', 'body'], 'expected one Google Health event per data point');
  assert.ok(events.every((r) => r.value.readings.length > 0 || r.value.hrvRmssdMs !== null || r.value.restingHeartRateBpm !== null), 'expected every event to carry a value');
  assert.is(await counterValue(metrics, 'normalize_acknowledged_total', { reason: 'withings_no_sleep' }), 1, 'expected the empty Withings window counted');
  assert.is(await counterValue(metrics, 'normalize_acknowledged_total', { reason: 'google_health_no_data_points' }), 1, 'expected the empty Google Health list counted');
  const dead = driver.deadLetters();
  assert.equal(dead.map((d) => d.reason), ['unmappable'], 'expected only the malformed Polar sleep dead-lettered');
  assert.match(dead[0]!.detail ?? '', 'sleep has no sleep_start_time', 'expected the dead letter to say what is missing');
});

test('malformed and unmappable input are dead-lettered with their reason', async () => {
  const { driver, verified } = setup();
  await verified('terra').pipe({ key: 'terra:u', value: Buffer.from('{"type": "sleep", ') });
  await verified('garmin').pipe({ key: 'garmin:u', value: Buffer.from('{"moveiq": [{"userId": "u"}]}') });
  assert.equal(driver.deadLetters().map((d) => d.reason), ['malformed_body', 'unmappable'], 'expected malformed_body then unmappable');
});

test('a WHOOP document not scored yet is counted and acknowledged: no output, no dead letter', async () => {
  const { driver, verified, output, metrics } = setup();
  const { score: _score, ...sleep } = JSON.parse(fixture('whoop', 'sleep-document.json').toString()) as Record<string, unknown>;
  await verified('whoop').pipe({ key: 'whoop:10129', value: Buffer.from(JSON.stringify({ ...sleep, score_state: 'PENDING_SCORE' })), headers: { 'received-at': String(receivedAt) } });
  assert.ok(output.isEmpty(), 'expected no event');
  assert.equal(driver.deadLetters(), [], 'expected no dead letter for a valid document');
  assert.is(await counterValue(metrics, 'normalize_acknowledged_total', { reason: 'whoop_not_scored' }), 1, 'expected it counted as whoop_not_scored');
});

test('Terra non-data events are counted and acknowledged: no output, no dead letter', async () => {
  const { driver, verified, terraTopic, output, metrics } = setup();
  await verified('terra').pipe({ key: 'terra:u', value: fixture('terra', 'auth.json') });
  await terraTopic.pipe({ value: Buffer.from(JSON.stringify({ type: 'rate_limit_hit', user: { user_id: 'u' } })) });
  assert.ok(output.isEmpty(), 'expected no events');
  assert.equal(driver.deadLetters(), [], 'expected no dead letters');
  assert.is(await counterValue(metrics, 'normalize_acknowledged_total', { reason: 'terra_auth' }), 1, 'expected auth counted');
  assert.is(await counterValue(metrics, 'normalize_acknowledged_total', { reason: 'terra_rate_limit_hit' }), 1, 'expected rate_limit_hit counted');
});

test("Terra's topic: inline documents map directly; s3_payload pointers are fetched", async () => {
  const fetched: string[] = [];
  const fetcher: TerraPayloadFetcher = {
    fetchDocument: async (pointer) => {
      fetched.push(String(pointer['url']));
      return JSON.parse(fixture('terra', 'daily.json').toString());
    },
  };
  const { terraTopic, output } = setup(fetcher);
  await terraTopic.pipe({ value: fixture('terra', 'body.json'), timestamp: receivedAt });
  await terraTopic.pipe({ value: fixture('terra', 's3-payload-message.json'), timestamp: receivedAt });
  const records = await output.readRecords();
  assert.equal(records.map((r) => r.value.dataType), ['body', 'body', 'daily', 'daily'], 'expected the inline body and its weigh-in, then the two fetched dailies');
  assert.is(fetched.length, 1, 'expected one fetch for the pointer');
  assert.is(records[0]!.value.receivedAt, receivedAt, "expected receivedAt from Terra's record timestamp");
});

test("a replayed copy of a Terra message keeps the original's time from its received-at, though written later", async () => {
  const { terraTopic, output } = setup();
  await terraTopic.pipe({ value: fixture('terra', 'body.json'), timestamp: receivedAt + 86_400_000, headers: { 'received-at': String(receivedAt), 'replayed-from': 'terra-biometric-events/0/5' } });
  const records = await output.readRecords();
  assert.ok(records.length > 0);
  assert.equal([...new Set(records.map((r) => r.value.receivedAt))], [receivedAt], 'the version as old as the original');
});

test('an expired pre-signed URL is dead-lettered as payload_expired without a request', async () => {
  const { driver, terraTopic } = setup(createTerraPayloadFetcher({ now: () => receivedAt + 601_000 }));
  await terraTopic.pipe({ value: fixture('terra', 's3-payload-message.json'), timestamp: receivedAt });
  assert.equal(driver.deadLetters().map((d) => d.reason), ['payload_expired'], 'expected payload_expired');
});

test("an open breaker on Terra's storage pauses the stage instead of dead-lettering", async () => {
  const fetcher: TerraPayloadFetcher = {
    fetchDocument: async () => {
      throw new DependencyUnavailableError('terra-storage', 60_000);
    },
  };
  const { driver, terraTopic } = setup(fetcher);
  const error = await terraTopic.pipe({ value: fixture('terra', 's3-payload-message.json'), timestamp: receivedAt }).then(() => null, (e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'expected the driver to surface the pause');
  assert.equal(driver.deadLetters(), [], 'expected no dead letter while the dependency is down');
});

test('eventIds are stable: the same record twice gives the same id', async () => {
  const { verified, output } = setup();
  for (let i = 0; i < 2; i++) await verified('terra').pipe({ key: 'terra:x', value: fixture('terra', 'daily.json'), headers: { 'received-at': String(receivedAt + i) } });
  const ids = (await output.readRecords()).map((r) => r.value.eventId);
  assert.equal(ids.slice(2), ids.slice(0, 2), 'expected the replayed daily records to keep their ids');
});

test('describe() names every node', () => {
  const { driver } = setup();
  const text = driver.topology.describe().toString();
  for (const name of ['verified-records', 'map-vendor-payload', 'terra-destination', 'fetch-and-map-terra', 'biometric-events']) {
    assert.ok(text.includes(name), `expected node ${name} in the description`);
  }
});

test.run();
