// The whole chain on the real stack, as operators run it: `bridge topics create`, then
// `bridge run all` (ingress + every stage in one child process). Signed webhooks go in over HTTP
// and Terra messages onto its Kafka destination; the test reads what NEUROS reads (the priority
// topics, through the NEUROS consumer module) and what the sink wrote to Postgres, then proves a
// replay (sink group reset with `bridge replay`) adds no rows.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Producer } from 'kafkajs';
import { startNeurosConsumer, type NeurosConsumer, type NeurosMessage } from '../../src/neuros/index.ts';
import { migrate } from '../../src/sink/index.ts';
import { connectionsMigrations } from '../../src/connections/migrations.ts';
import { priorities, priorityTopic, topics } from '../../src/topics.ts';
import { kafkaClient, pgPool, schemaStore, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { bridge } from './operators-cli.ts';
import {
  freePort,
  garminHeaders,
  groupLag,
  healthkitHeaders,
  ouraHeaders,
  postWebhook,
  stageInputs,
  stageLags,
  startBridge,
  watchRunDeadLetters,
  type DeadLetterWatch,
  terraHeaders,
  waitFor as waitForExplained,
  type BridgeProcess,
  type SignedHeaders,
} from './pipeline-support.ts';

const run = unique('e2e');
const secret = () => randomBytes(24).toString('hex');
const secrets = { healthkit: secret(), terra: secret(), oura: secret(), garminClientId: secret() };
const users = {
  healthkit: `${run}-hk`,
  terraHook: `${run}-terra-hook`,
  terraInline: `${run}-terra-inline`,
  terraS3: `${run}-terra-s3`,
  garmin: `${run}-garmin`,
  oura: `${run}-oura`,
};
/** Our id for the Garmin user: its connection maps it, so its events carry this one. */
const garminOurUser = `${run}-neuros-user`;
const ourUsers = [...Object.values(users), garminOurUser];

const kafka = kafkaClient();
const pool = pgPool();
let admin: Admin;
let producer: Producer;
let neuros: NeurosConsumer | undefined;
let dlqWatch: DeadLetterWatch | undefined;
let pipeline: BridgeProcess | undefined;
let ingressUrl = '';
let pipelineEnv: Record<string, string> = {};
let metricsPort = 0;
const startedAt = Date.now();

/** Routed records of this run's users, by event id (a list: a re-delivered record routes again). */
const routed = new Map<string, NeurosMessage[]>();
/** Next offset NEUROS has read per priority topic partition. */
const neurosPosition = new Map<string, number>();

// Terra's storage is outside our system: a loopback server stands in for the pre-signed URLs.
const storageDocuments = new Map<string, Buffer>();
const storage: Server = createServer((req, res) => {
  const doc = storageDocuments.get(new URL(req.url ?? '/', 'http://storage').pathname);
  if (doc === undefined) res.writeHead(404).end('not found');
  else res.writeHead(200, { 'content-type': 'application/json' }).end(doc);
});

/** A wait whose failure says what is missing and where records stopped. */
function waitFor(what: string, check: () => Promise<true | string> | true | string, timeoutMs: number): Promise<void> {
  return waitForExplained(what, check, timeoutMs, () => stageLags(admin));
}

const post = (vendor: string, headers: SignedHeaders, body: Buffer) => postWebhook(ingressUrl, vendor, headers, body);

async function postAccepted(vendor: string, headers: SignedHeaders, body: Buffer): Promise<void> {
  const res = await post(vendor, headers, body);
  assert.is(res.status, 202, `expected 202 from ingress for ${vendor}, got ${res.status} ${res.body}`);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

async function rowsOfRun(): Promise<Array<{ event_id: string; user_id: string; priority: string; triggers: Array<{ type: string; severity: string }>; inserted_at: Date; src_offset: string }>> {
  const { rows } = await pool.query(
    'SELECT event_id, user_id, priority, triggers, inserted_at, src_offset FROM biometric_events WHERE user_id = ANY($1) ORDER BY event_id',
    [ourUsers],
  );
  return rows;
}

/** Every stage's group has committed everything on its inputs: nothing is in flight. */
async function drained(): Promise<boolean> {
  for (const [group, inputs] of stageInputs) if ((await groupLag(admin, group, inputs)) > 0) return false;
  return true;
}

/** NEUROS has read up to the end of every priority partition this run wrote to. */
async function neurosCaughtUp(before: Map<string, number>): Promise<boolean> {
  for (const priority of priorities) {
    const topic = priorityTopic(priority);
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
      const key = `${topic}/${partition}`;
      if (Number(high) > (before.get(key) ?? 0) && (neurosPosition.get(key) ?? 0) < Number(high)) return false;
    }
  }
  return true;
}

async function priorityEnds(): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const priority of priorities) {
    const topic = priorityTopic(priority);
    for (const { partition, high } of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${partition}`, Number(high));
  }
  return ends;
}

async function startPipeline(): Promise<BridgeProcess> {
  const child = startBridge(['run', 'all'], pipelineEnv, metricsPort);
  await child.waitReady(90_000);
  return child;
}

test.before(async () => {
  const created = await bridge('topics', 'create');
  assert.is(created.code, 0, `bridge topics create exits 0: ${created.stderr}`);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await migrate({ pool });
  await migrate({ pool, ...connectionsMigrations });
  await pool.query('INSERT INTO vendor_connections (vendor, vendor_user_id, user_id) VALUES ($1, $2, $3)', ['garmin', users.garmin, garminOurUser]);
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));

  neuros = await startNeurosConsumer({
    kafka,
    schemaStore: schemaStore(),
    groupId: unique('test.e2e.neuros'),
    // Shared priority topics may hold many older records; only this run's records matter.
    fromBeginning: false,
    handle: async (message) => {
      neurosPosition.set(`${message.topic}/${message.partition}`, Number(message.offset) + 1);
      if (!ourUsers.includes(message.enriched.event.userId)) return;
      const list = routed.get(message.enriched.event.eventId) ?? [];
      list.push(message);
      routed.set(message.enriched.event.eventId, list);
    },
  });
  dlqWatch = await watchRunDeadLetters(kafka, run);

  const ingressPort = await freePort();
  metricsPort = await freePort();
  ingressUrl = `http://127.0.0.1:${ingressPort}`;
  pipelineEnv = {
    INGRESS_PORT: String(ingressPort),
    LOG_LEVEL: 'warn',
    HEALTHKIT_WEBHOOK_SECRETS: secrets.healthkit,
    TERRA_WEBHOOK_SECRETS: secrets.terra,
    OURA_WEBHOOK_SECRETS: secrets.oura,
    GARMIN_CLIENT_ID: secrets.garminClientId,
  };
  pipeline = await startPipeline();
});

test.after(async () => {
  await pipeline?.stop().catch((error: unknown) => console.error('pipeline stop failed', error));
  await neuros?.stop();
  await dlqWatch?.stop();
  await producer?.disconnect();
  await admin?.disconnect();
  await pool.query('DELETE FROM vendor_connections WHERE vendor = $1 AND vendor_user_id = $2', ['garmin', users.garmin]);
  await pool.query('DELETE FROM biometric_events WHERE user_id = ANY($1)', [ourUsers]);
  await pool.end();
  await new Promise((resolve) => storage.close(resolve));
});

interface Expected {
  readonly what: string;
  readonly userId: string;
  readonly dataType: string;
  readonly occurredAt: number;
  readonly priority: 'high' | 'medium' | 'normal';
  readonly triggerTypes: string[];
  readonly source: 'bridge' | 'terra';
  readonly deviceType: string;
}

const day = Date.parse('2026-06-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const healthkitBatch = json({
  user_id: users.healthkit,
  device: 'Apple Watch Series 9',
  samples: [
    { type: 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN', value: 48.2, unit: 'ms', start: iso(day + 3_600_000), end: iso(day + 3_660_000), uuid: `${run}-hk-hrv` },
    { type: 'HKQuantityTypeIdentifierRestingHeartRate', value: 54, unit: 'count/min', start: iso(day), end: iso(day + 86_399_000), uuid: `${run}-hk-rhr` },
    { type: 'HKCategoryTypeIdentifierSleepAnalysis', value: 4, unit: '', start: iso(day + 7_200_000), end: iso(day + 9_900_000), uuid: `${run}-hk-sleep` },
  ],
});

const terraWebhook = json({
  type: 'sleep',
  user: { user_id: users.terraHook, provider: 'OURA', reference_id: `${run}-ref` },
  data: [
    {
      metadata: { start_time: iso(day - 7_200_000), end_time: iso(day + 21_600_000), summary_id: `${run}-sleep-hrv30`, is_nap: false },
      heart_rate_data: { summary: { avg_hr_bpm: 56, avg_hrv_rmssd: 30, resting_hr_bpm: 50 } },
    },
    {
      metadata: { start_time: iso(day + 79_200_000), end_time: iso(day + 108_000_000), summary_id: `${run}-sleep-score60`, is_nap: false },
      scores: { sleep: 60 },
    },
  ],
  version: '2022-03-16',
});

// The seeds' inline shape, as Terra's Kafka destination carried it before s3_payload pointers.
const terraInline = json({
  id: `${run}-seed`,
  type: 'body',
  user: { user_id: users.terraInline },
  data: [{ timestamp: iso(day + 28_800_000), hrv_data: { rmssd: 20 }, heart_rate_data: { avg_hr_bpm: 65 } }],
});

const terraStoredDocument = json({
  type: 'sleep',
  user: { user_id: users.terraS3, provider: 'GARMIN', reference_id: `${run}-ref-s3` },
  data: [
    {
      metadata: { start_time: iso(day - 3_600_000), end_time: iso(day + 25_200_000), summary_id: `${run}-sleep-s3`, is_nap: false },
      heart_rate_data: { summary: { avg_hr_bpm: 52, avg_hrv_rmssd: 55, resting_hr_bpm: 47 } },
      temperature_data: { delta: 1.2 },
      scores: { sleep: 82 },
    },
  ],
  version: '2022-03-16',
});

const garminStart = Math.floor(day / 1000);
const garminPush = json({
  dailies: [{ userId: users.garmin, summaryId: `${run}-daily`, calendarDate: '2026-06-01', startTimeInSeconds: garminStart, durationInSeconds: 86_400, steps: 8421, restingHeartRateInBeatsPerMinute: 52 }],
  hrv: [{ userId: users.garmin, summaryId: `${run}-hrv`, calendarDate: '2026-06-01', startTimeInSeconds: garminStart + 600, durationInSeconds: 25_680, lastNightAvg: 39, lastNight5MinHigh: 61 }],
});

const expected: Expected[] = [
  { what: 'HealthKit HRV SDNN (a reading, never RMSSD)', userId: users.healthkit, dataType: 'hrv', occurredAt: day + 3_600_000, priority: 'normal', triggerTypes: [], source: 'bridge', deviceType: 'Apple Watch Series 9' },
  { what: 'HealthKit resting heart rate', userId: users.healthkit, dataType: 'heart_rate', occurredAt: day, priority: 'normal', triggerTypes: [], source: 'bridge', deviceType: 'Apple Watch Series 9' },
  { what: 'HealthKit deep sleep', userId: users.healthkit, dataType: 'sleep', occurredAt: day + 7_200_000, priority: 'normal', triggerTypes: [], source: 'bridge', deviceType: 'Apple Watch Series 9' },
  { what: 'Terra webhook sleep, HRV 30', userId: users.terraHook, dataType: 'sleep', occurredAt: day - 7_200_000, priority: 'medium', triggerTypes: ['STRESS_INTERVENTION'], source: 'terra', deviceType: 'OURA' },
  { what: 'Terra webhook sleep, score 60 only', userId: users.terraHook, dataType: 'sleep', occurredAt: day + 79_200_000, priority: 'normal', triggerTypes: ['RECOVERY_INTERVENTION'], source: 'terra', deviceType: 'OURA' },
  { what: 'Terra Kafka inline body, HRV 20', userId: users.terraInline, dataType: 'body', occurredAt: day + 28_800_000, priority: 'high', triggerTypes: ['URGENT_INTERVENTION'], source: 'terra', deviceType: 'terra' },
  { what: 'Terra Kafka s3_payload sleep, temperature +1.2', userId: users.terraS3, dataType: 'sleep', occurredAt: day - 3_600_000, priority: 'medium', triggerTypes: ['TEMPERATURE_DEVIATION'], source: 'terra', deviceType: 'GARMIN' },
  { what: 'Garmin daily (our user id from the connection)', userId: garminOurUser, dataType: 'daily', occurredAt: day, priority: 'normal', triggerTypes: [], source: 'bridge', deviceType: 'garmin' },
  { what: 'Garmin overnight HRV 39', userId: garminOurUser, dataType: 'hrv', occurredAt: day + 600_000, priority: 'medium', triggerTypes: ['STRESS_INTERVENTION'], source: 'bridge', deviceType: 'garmin' },
];

function routedFor(e: Expected): NeurosMessage[] {
  return [...routed.values()].find((list) => {
    const event = list[0]!.enriched.event;
    return event.userId === e.userId && event.dataType === e.dataType && event.occurredAt === e.occurredAt;
  }) ?? [];
}

let endsBefore = new Map<string, number>();

test('signed webhooks and Terra messages reach their priority topics and Postgres once each', async () => {
  endsBefore = await priorityEnds();
  const now = Date.now();

  // HealthKit: the upload, the app's retry of the same request (same signature = same delivery),
  // then the same samples in a new upload (new signature, same sample uuids → same event ids).
  const healthkit = healthkitHeaders(healthkitBatch, secrets.healthkit, now - 10_000);
  await postAccepted('healthkit', healthkit, healthkitBatch);
  await postAccepted('healthkit', healthkit, healthkitBatch);
  await postAccepted('healthkit', healthkitHeaders(healthkitBatch, secrets.healthkit, now), healthkitBatch);

  // Terra webhook and Terra's retry of it: same X-Terra-Trace-Id, re-signed later.
  const trace = unique('trace');
  await postAccepted('terra', terraHeaders(terraWebhook, secrets.terra, now - 10_000, trace), terraWebhook);
  await postAccepted('terra', terraHeaders(terraWebhook, secrets.terra, now, trace), terraWebhook);

  await postAccepted('garmin', garminHeaders(secrets.garminClientId), garminPush);

  // Oura sends ids only: normalize cannot hydrate yet, so it must dead-letter, not drop.
  const oura = json({ event_type: 'create', data_type: 'daily_sleep', object_id: unique('obj'), event_time: iso(now), user_id: users.oura });
  await postAccepted('oura', ouraHeaders(oura, secrets.oura, now), oura);

  // Terra's Kafka destination: one inline document, one pointer to its storage.
  storageDocuments.set(`/${run}/sleep.json`, terraStoredDocument);
  const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/${run}/sleep.json?X-Amz-Expires=600`;
  await producer.send({
    topic: topics.terraEvents,
    acks: -1,
    messages: [
      { key: users.terraInline, value: terraInline },
      {
        key: users.terraS3,
        value: json({ status: 'success', type: 's3_payload', url: storageUrl, expires_in: 600, user_id: users.terraS3, reference_id: `${run}-ref-s3`, data_type: 'sleep', version: '2022-03-16' }),
      },
    ],
  });

  await waitFor('every expected event routed and the re-uploaded HealthKit samples routed again', () => {
    const missing = expected.filter((e) => routedFor(e).length < (e.userId === users.healthkit ? 2 : 1));
    return missing.length === 0 ? true : `still missing: ${missing.map((e) => e.what).join('; ')}`;
  }, 60_000);
  await waitFor('one row per event in biometric_events', async () => {
    const ids = new Set((await rowsOfRun()).map((r) => r.event_id));
    const missing = expected.filter((e) => !ids.has(routedFor(e)[0]!.enriched.event.eventId));
    return missing.length === 0 ? true : `missing rows for: ${missing.map((e) => e.what).join('; ')}`;
  }, 30_000);
  await waitUntil('the oura notification dead-lettered', () => dlqWatch!.seen.length >= 1, { timeoutMs: 30_000 });
  await waitUntil('every stage drained its inputs', drained, { timeoutMs: 30_000, intervalMs: 250 });
  await waitUntil('NEUROS read to the end of the priority topics', () => neurosCaughtUp(endsBefore), { timeoutMs: 30_000 });

  for (const e of expected) {
    const copies = routedFor(e);
    const first = copies[0]!;
    assert.is(first.topic, priorityTopic(e.priority), `${e.what}: expected on ${priorityTopic(e.priority)}, got ${first.topic}`);
    assert.is(first.enriched.priority, e.priority, `${e.what}: expected priority ${e.priority}`);
    assert.is(first.userId, e.userId, `${e.what}: expected keyed by user id`);
    assert.is(first.headers['priority'], e.priority, `${e.what}: expected header priority=${e.priority}`);
    assert.is(first.headers['source'], e.source, `${e.what}: expected header source=${e.source}`);
    assert.is(first.headers['device_type'], e.deviceType, `${e.what}: expected header device_type=${e.deviceType}`);
    assert.is(first.headers['has_triggers'], String(e.triggerTypes.length > 0), `${e.what}: expected header has_triggers`);
    const headerTriggers = (JSON.parse(first.headers['triggers'] ?? 'null') as Array<{ type: string }>).map((t) => t.type).sort();
    for (const type of e.triggerTypes) assert.ok(headerTriggers.includes(type), `${e.what}: expected ${type} in the triggers header, got ${headerTriggers.join(',')}`);
    if (e.triggerTypes.length === 0) assert.equal(headerTriggers, [], `${e.what}: expected no triggers`);
    // A vendor retry (same delivery id) is stopped at verify; a new delivery of the same record
    // goes through again with the same event id.
    const copiesExpected = e.userId === users.healthkit ? 2 : 1;
    assert.is(copies.length, copiesExpected, `${e.what}: expected routed ${copiesExpected} time(s), got ${copies.length}`);
  }
  assert.is(routed.size, expected.length, `expected ${expected.length} distinct events of this run on the priority topics, got ${routed.size}`);
  const sleep60 = routedFor(expected[4]!)[0]!.enriched;
  assert.equal(sleep60.triggers.map((t) => t.severity), ['MEDIUM'], 'sleep 60 alone: one MEDIUM trigger, priority normal');
  const hrv20 = routedFor(expected[5]!)[0]!.enriched;
  assert.ok(hrv20.triggers.some((t) => t.severity === 'CRITICAL' && t.recommendation === 'immediate_stress_protocol'), 'HRV 20: a CRITICAL trigger');

  const rows = await rowsOfRun();
  assert.is(rows.length, expected.length, `expected one row per event (${expected.length}), got ${rows.length}`);
  for (const e of expected) {
    const eventId = routedFor(e)[0]!.enriched.event.eventId;
    const row = rows.find((r) => r.event_id === eventId);
    assert.ok(row, `${e.what}: expected a row for event ${eventId}`);
    assert.is(row!.priority, e.priority, `${e.what}: expected row priority ${e.priority}`);
    const rowTypes = row!.triggers.map((t) => t.type).sort();
    assert.equal(rowTypes, routedFor(e)[0]!.enriched.triggers.map((t) => t.type).sort(), `${e.what}: expected the row's triggers to be the routed event's`);
    for (const type of e.triggerTypes) assert.ok(rowTypes.includes(type), `${e.what}: expected ${type} in the row's triggers`);
  }

  assert.equal(dlqWatch!.seen.map((d) => d.reason), ['connection_revoked'], 'expected the oura id-only notification, whose user has no connection, dead-lettered by hydrate as connection_revoked (redrivable once the user connects)');
  assert.not.match(pipeline!.output(), /"level":(50|60)/, 'expected no ERROR or FATAL lines from the pipeline');
});

test('replay: the sink group reset to the start of this run re-reads everything and adds no rows', async () => {
  const before = await rowsOfRun();
  assert.is(before.length, expected.length, 'rows from the previous test');
  const code = await pipeline!.stop();
  assert.is(code, 0, `expected a graceful exit 0 on SIGTERM, got ${code}: ${pipeline!.output().slice(-2_000)}`);
  pipeline = undefined;

  const reset = await bridge('replay', '--group', 'bridge.sink', '--to-datetime', new Date(startedAt - 1_000).toISOString(), '--topic', topics.enriched);
  assert.is(reset.code, 0, `expected bridge replay --group to exit 0: ${reset.stdout}${reset.stderr}`);
  const moved = [...reset.stdout.matchAll(/^\S+\/\d+: (\d+|none) -> (\d+)$/gm)].filter(([, from, to]) => from !== 'none' && Number(to) < Number(from));
  assert.ok(moved.length > 0, `expected the reset to move bridge.sink back on some partition: ${reset.stdout}`);

  pipeline = await startPipeline();
  await waitUntil('bridge.sink re-read biometric.enriched to its end', async () => (await groupLag(admin, 'bridge.sink', [topics.enriched])) === 0, { timeoutMs: 60_000, intervalMs: 250 });
  const after = await rowsOfRun();
  assert.is(after.length, before.length, `expected the replay to add no rows: ${before.length} before, ${after.length} after`);
  assert.equal(
    after.map((r) => [r.event_id, r.inserted_at.getTime()]),
    before.map((r) => [r.event_id, r.inserted_at.getTime()]),
    'expected the same rows, untouched (same event ids, same insert times)',
  );

  const stopped = await pipeline.stop();
  assert.is(stopped, 0, `expected a graceful exit 0 on SIGTERM, got ${stopped}`);
  assert.not.match(pipeline.output(), /"level":(50|60)/, 'expected no ERROR or FATAL lines from the restarted pipeline');
  pipeline = undefined;
});

test.run();
