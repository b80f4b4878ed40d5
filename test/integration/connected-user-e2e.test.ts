// A new user's path through the whole bridge on the real stack: `bridge run all` (ingress with the
// /connect routes, every stage) as a child process; the user connects Oura and WHOOP through
// signed connect links, the vendors' OAuth and data APIs are the loopback simulators, and the
// vendors' webhooks name only ids. The test reads what NEUROS reads (the priority topics) and
// what the sink wrote, and plays the failures a connected user meets: an expired token, a refresh
// the vendor refuses and its redrive, a revoked grant and its reconnect + redrive, a rate-limited
// vendor.
import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin } from 'kafkajs';
import { signConnectLink } from '../../src/connections/index.ts';
import { backfillChunks, backfillWindow } from '../../src/hydrate/backfill.ts';
import { startNeurosConsumer, type NeurosConsumer, type NeurosMessage } from '../../src/neuros/index.ts';
import { dlqTopic, priorityTopic, verifiedTopic } from '../../src/topics.ts';
import { kafkaClient, pgPool, schemaStore, unique } from '../support/services.ts';
import { startVendorApiSim, type VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { connectableVendorEnv, startConnectableVendor } from '../support/vendor-sim/connectable-vendor.ts';
import type { OAuthSimulator } from '../support/vendor-sim/oauth-server.ts';
import { bridge } from './operators-cli.ts';
import { freePort, ouraHeaders, postWebhook, stageLags, startBridge, waitFor as waitForExplained, watchRunDeadLetters, whoopHeaders, type BridgeProcess, type DeadLetterWatch } from './pipeline-support.ts';

const run = unique('cu');
const secret = () => randomBytes(32).toString('hex');
const secrets = { link: secret(), tokenKey: secret(), oura: secret(), whoop: secret() };
/** Our user id: the app backend's, carried by every event once the connections map the vendor users. */
const ourUser = `${run}-neuros-user`;
const ouraUser = `${run}-oura`;
const whoopUser = String(randomInt(1_000_000_000, 2_000_000_000)); // WHOOP user ids are integers

const kafka = kafkaClient();
const pool = pgPool();
let admin: Admin;
let api: VendorApiSim;
let oura: OAuthSimulator;
let whoop: OAuthSimulator;
let neuros: NeurosConsumer | undefined;
let dlqWatch: DeadLetterWatch | undefined;
let pipeline: BridgeProcess | undefined;
let ingressUrl = '';
let metricsPort = 0;

/** Routed events of our user, in arrival order. */
const routed: NeurosMessage[] = [];

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const waitFor = (what: string, check: () => Promise<true | string> | true | string, timeoutMs = 30_000) =>
  waitForExplained(what, check, timeoutMs, () => stageLags(admin));

// ---- the vendors' documents for this run (shapes of test/fixtures/vendors/<vendor>/api) ----

const ouraDay = '2025-03-10';
const ouraDailySleep = { id: `${run}-daily-sleep`, contributors: { deep_sleep: 57, efficiency: 98, total_sleep: 60 }, day: ouraDay, score: 61, timestamp: `${ouraDay}T00:00:00+00:00` };
/** The night behind the daily score, its long sleep period: HRV 22 ms is below the critical threshold (URGENT). */
const ouraNight = {
  id: `${run}-night`,
  average_hrv: 22,
  average_heart_rate: 58,
  lowest_heart_rate: 51,
  bedtime_start: '2025-03-09T23:10:00+00:00',
  bedtime_end: '2025-03-10T06:40:00+00:00',
  day: ouraDay,
  type: 'long_sleep',
};
const ouraReadiness = (n: number) => ({
  id: `${run}-readiness-${n}`,
  contributors: { hrv_balance: 75, resting_heart_rate: 94 },
  day: `2025-04-${String(n + 1).padStart(2, '0')}`,
  score: 66 + n,
  temperature_deviation: -0.2,
  timestamp: `2025-04-${String(n + 1).padStart(2, '0')}T00:00:00+00:00`,
});

const whoopSleep = (id: string, cycleId: number, start: string) => ({
  id,
  cycle_id: cycleId,
  user_id: Number(whoopUser),
  created_at: '2025-01-15T11:25:44.774Z',
  start,
  end: '2025-01-15T06:25:44.774Z',
  score_state: 'SCORED',
  score: {
    stage_summary: { total_in_bed_time_milli: 30272735, total_awake_time_milli: 1403507, total_light_sleep_time_milli: 14905851, total_slow_wave_sleep_time_milli: 6630370, total_rem_sleep_time_milli: 5879573 },
    respiratory_rate: 16.1,
    sleep_performance_percentage: 88,
    sleep_efficiency_percentage: 91.7,
  },
});
const whoopCycle = randomInt(1_000_000, 9_000_000);
const whoopNight = whoopSleep(`${run}-whoop-sleep`, whoopCycle, '2025-01-14T22:25:44.774Z');
const whoopRecovery = {
  cycle_id: whoopCycle,
  sleep_id: whoopNight.id,
  user_id: Number(whoopUser),
  created_at: '2025-01-15T11:25:44.774Z',
  score_state: 'SCORED',
  score: { recovery_score: 44, resting_heart_rate: 64, hrv_rmssd_milli: 31.8, spo2_percentage: 95.7, skin_temp_celsius: 33.7 },
};
const whoopWorkout = {
  id: `${run}-whoop-workout`,
  user_id: Number(whoopUser),
  start: '2025-01-15T17:00:00.000Z',
  end: '2025-01-15T18:00:00.000Z',
  sport_name: 'running',
  score_state: 'SCORED',
  score: { strain: 8.2463, average_heart_rate: 123, max_heart_rate: 146, kilojoule: 1569.3 },
};
const whoopLaterNight = whoopSleep(`${run}-whoop-sleep-2`, whoopCycle + 1, '2025-01-16T22:00:00.000Z');

function serveRunDocuments(): void {
  api.serve('oura', `/v2/usercollection/daily_sleep/${ouraDailySleep.id}`, ouraDailySleep);
  api.serve('oura', `/v2/usercollection/sleep/${ouraNight.id}`, ouraNight);
  for (let n = 0; n < 23; n += 1) api.serve('oura', `/v2/usercollection/daily_readiness/${ouraReadiness(n).id}`, ouraReadiness(n));
  api.serve('whoop', `/v2/activity/sleep/${whoopNight.id}`, whoopNight);
  api.serve('whoop', `/v2/activity/sleep/${whoopLaterNight.id}`, whoopLaterNight);
  api.serve('whoop', `/v2/cycle/${whoopCycle}/recovery`, whoopRecovery);
  api.serve('whoop', `/v2/activity/workout/${whoopWorkout.id}`, whoopWorkout);
  // History a new connection's backfill lists (BACKFILL_DAYS_ON_CONNECT, 30 days by default): one
  // readiness two days ago, nothing else; a list path without its query answers every other week.
  const week = backfillChunks(backfillWindow(30)).find((chunk) => chunk.startDate <= backfilledDay && backfilledDay < chunk.endDate)!;
  api.serve('oura', `/v2/usercollection/daily_readiness?start_date=${week.startDate}&end_date=${week.endDate}`, { data: [backfilledReadiness], next_token: null });
  for (const type of ['daily_readiness', 'daily_sleep', 'daily_activity']) api.serve('oura', `/v2/usercollection/${type}`, { data: [], next_token: null });
  // The backfill's weeks list no sleep periods.
  for (const chunk of backfillChunks(backfillWindow(30))) api.serve('oura', `/v2/usercollection/sleep?start_date=${chunk.startDate}&end_date=${chunk.endDate}`, { data: [], next_token: null });
  for (const path of ['/v2/recovery', '/v2/activity/sleep', '/v2/activity/workout']) api.serve('whoop', path, { records: [] });
}

const backfilledDay = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
const backfilledReadiness = { ...ouraReadiness(0), id: `${run}-backfilled-readiness`, day: backfilledDay, score: 81, timestamp: `${backfilledDay}T00:00:00+00:00` };

// ---- what the user, the vendors and NEUROS do ----

/** The user follows the link the app backend built, consents at the vendor, and lands on our page. */
async function connect(vendor: 'oura' | 'whoop', sim: OAuthSimulator): Promise<{ status: number; page: string }> {
  const query = signConnectLink(secrets.link, vendor, ourUser, Math.floor(Date.now() / 1000) + 900);
  const start = await fetch(`${ingressUrl}/connect/${vendor}?${query}`, { redirect: 'manual' });
  assert.is(start.status, 302, `expected the ${vendor} connect link to redirect to ${vendor}'s consent page, got ${start.status}`);
  const authorize = new URL(start.headers.get('location') ?? '');
  assert.is(authorize.origin, sim.url, `expected the redirect to ${vendor}'s (simulated) authorize host`);
  assert.is(authorize.searchParams.get('redirect_uri'), `${ingressUrl}/connect/${vendor}/callback`, 'expected our callback as redirect_uri');
  const callback = await sim.authorize(authorize.toString());
  assert.ok(callback.startsWith(`${ingressUrl}/connect/${vendor}/callback?`), `expected ${vendor} to send the browser back to our callback, got ${callback}`);
  const page = await fetch(callback, { redirect: 'manual' });
  return { status: page.status, page: await page.text() };
}

async function connectionRow(vendor: string, vendorUserId: string) {
  const { rows } = await pool.query<{ user_id: string; status: string; access_token: string | null; whole: string }>(
    'SELECT user_id, status, access_token, t::text AS whole FROM vendor_connections t WHERE vendor = $1 AND vendor_user_id = $2',
    [vendor, vendorUserId],
  );
  return rows[0];
}

async function sendOura(dataType: string, objectId: string, eventType = 'create'): Promise<void> {
  const body = json({ event_type: eventType, data_type: dataType, object_id: objectId, event_time: new Date().toISOString(), user_id: ouraUser });
  const answer = await postWebhook(ingressUrl, 'oura', ouraHeaders(body, secrets.oura, Date.now()), body);
  assert.is(answer.status, 202, `expected 202 for the Oura ${dataType} webhook, got ${answer.status} ${answer.body}`);
}

async function sendWhoop(type: string, id: string): Promise<void> {
  const body = json({ user_id: Number(whoopUser), id, type, trace_id: unique('trace') });
  const answer = await postWebhook(ingressUrl, 'whoop', whoopHeaders(body, secrets.whoop, Date.now()), body);
  assert.is(answer.status, 202, `expected 202 for the WHOOP ${type} webhook, got ${answer.status} ${answer.body}`);
}

const routedAt = (dataType: string, occurredAt: string) =>
  routed.filter((m) => m.enriched.event.dataType === dataType && m.enriched.event.occurredAt === Date.parse(occurredAt));

async function waitRouted(what: string, dataType: string, occurredAt: string): Promise<NeurosMessage> {
  await waitFor(`${what} routed to NEUROS`, () => routedAt(dataType, occurredAt).length > 0 || `no ${dataType} event at ${occurredAt} yet`, 60_000);
  return routedAt(dataType, occurredAt)[0]!;
}

interface EventRow {
  user_id: string;
  source: string;
  data_type: string;
  priority: string;
  metrics: Record<string, unknown>;
  triggers: Array<{ type: string }>;
}

async function waitRow(message: NeurosMessage): Promise<EventRow> {
  const eventId = message.enriched.event.eventId;
  let row: EventRow | undefined;
  await waitFor(`the row of event ${eventId}`, async () => {
    const { rows } = await pool.query<EventRow>('SELECT user_id, source, data_type, priority, metrics, triggers FROM biometric_events WHERE event_id = $1', [eventId]);
    row = rows[0];
    return row !== undefined || 'not in biometric_events yet';
  });
  return row!;
}

/** A counter or gauge of the pipeline's /metrics, summed over the series matching every label given. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

test.before(async () => {
  const created = await bridge('topics', 'create');
  assert.is(created.code, 0, `bridge topics create exits 0: ${created.stderr}`);
  admin = kafka.admin();
  await admin.connect();
  api = await startVendorApiSim();
  oura = await startConnectableVendor(api, 'oura', ouraUser);
  whoop = await startConnectableVendor(api, 'whoop', whoopUser);
  serveRunDocuments();

  neuros = await startNeurosConsumer({
    kafka,
    schemaStore: schemaStore(),
    groupId: unique('test.connected.neuros'),
    fromBeginning: false, // shared priority topics: only this run's records matter
    handle: async (message) => {
      if (message.enriched.event.userId === ourUser) routed.push(message);
    },
  });
  dlqWatch = await watchRunDeadLetters(kafka, run);

  const ingressPort = await freePort();
  metricsPort = await freePort();
  ingressUrl = `http://127.0.0.1:${ingressPort}`;
  pipeline = startBridge(
    ['run', 'all'],
    {
      INGRESS_PORT: String(ingressPort),
      LOG_LEVEL: 'warn',
      PUBLIC_BASE_URL: ingressUrl,
      CONNECT_LINK_SECRET: secrets.link,
      TOKEN_ENCRYPTION_KEYS: secrets.tokenKey,
      OURA_WEBHOOK_SECRETS: secrets.oura,
      WHOOP_WEBHOOK_SECRETS: secrets.whoop,
      ...connectableVendorEnv('oura', oura, api),
      ...connectableVendorEnv('whoop', whoop, api),
      // The Redis-shared app budgets are shared with every other bridge on this Redis too.
      WHOOP_API_APP_RATE_LIMIT: '10000/60',
      WHOOP_API_USER_RATE_LIMIT: '10000/60',
    },
    metricsPort,
  );
  await pipeline.waitReady(90_000);
});

test.after(async () => {
  // Each step on its own: a start-up that failed half way leaves some undone (the tables may not
  // even exist), and a throw here would hide the failure `before` reported.
  const steps: Array<[string, () => Promise<unknown> | undefined]> = [
    ['pipeline stop', () => pipeline?.stop()],
    ['neuros stop', () => neuros?.stop()],
    ['dead-letter watch stop', () => dlqWatch?.stop()],
    ['admin disconnect', () => admin?.disconnect()],
    ['event rows cleanup', () => pool.query('DELETE FROM biometric_events WHERE user_id = $1', [ourUser])],
    ['connection rows cleanup', () => pool.query('DELETE FROM vendor_connections WHERE (vendor, vendor_user_id) IN ((\'oura\', $1), (\'whoop\', $2))', [ouraUser, whoopUser])],
    ['pool end', () => pool.end()],
    ['oura close', () => oura?.close()],
    ['whoop close', () => whoop?.close()],
    ['api close', () => api?.close()],
  ];
  for (const [name, step] of steps) await Promise.resolve(step()).catch((error: unknown) => console.error(`${name} failed:`, error instanceof Error ? error.message : error));
});

test('connecting: signed link → the vendor’s consent page → callback → success page → an encrypted row with our user id', async () => {
  for (const [vendor, sim, vendorUserId, name] of [['oura', oura, ouraUser, 'Oura'], ['whoop', whoop, whoopUser, 'WHOOP']] as const) {
    const { status, page } = await connect(vendor, sim);
    assert.is(status, 200, `expected the ${name} success page, got ${status}: ${page}`);
    assert.match(page, `${name} is connected`, `expected the page to say ${name} is connected`);
    const row = await connectionRow(vendor, vendorUserId);
    assert.ok(row, `expected a vendor_connections row for the ${name} user the vendor named`);
    assert.is(row!.user_id, ourUser, `expected the ${name} row to map to our user id`);
    assert.is(row!.status, 'active', `expected an active ${name} connection`);
    for (const token of sim.issuedTokens) assert.not.ok(row!.whole.includes(token), `expected no ${name} token in clear in the row`);
  }
  // Each new connection queued its last 30 days: hydrate listed them week by week.
  const history = await waitRouted('the readiness the Oura backfill found', 'readiness', backfilledReadiness.timestamp);
  assert.is(history.enriched.event.readinessScore, 81, 'expected the backfilled readiness score');
  assert.is(history.userId, ourUser, 'expected the backfilled event under our user id');
  const lists = (vendor: string, path: string) => api.requests(vendor).filter((r) => r.status === 200 && r.path.startsWith(`${path}?`)).length;
  assert.is(lists('oura', '/v2/usercollection/daily_readiness'), 5, 'expected the 30 days listed as five week-long requests');
  await waitFor('the WHOOP backfill', () => lists('whoop', '/v2/activity/workout') === 5 || `${lists('whoop', '/v2/activity/workout')} workout lists`);
});

test('Oura daily_sleep, sleep and daily_readiness webhooks → hydrated → events with the score and the night’s HRV → priority topic → rows with our user id', async () => {
  await sendOura('daily_sleep', ouraDailySleep.id);
  await sendOura('sleep', ouraNight.id);
  await sendOura('daily_readiness', ouraReadiness(0).id);

  const sleep = await waitRouted('the Oura daily_sleep', 'sleep', ouraDailySleep.timestamp);
  assert.is(sleep.enriched.event.sleepScore, 61, 'expected the daily_sleep score');
  assert.is(sleep.enriched.event.hrvRmssdMs, null, 'expected no HRV on the daily_sleep: the night’s sleep period carries it');
  assert.is(sleep.enriched.event.source, 'OURA', 'expected source OURA');
  assert.is(sleep.topic, priorityTopic('normal'), `expected a MEDIUM trigger alone on ${priorityTopic('normal')}, got ${sleep.topic}`);
  assert.equal(sleep.enriched.triggers.map((t) => t.type), ['RECOVERY_INTERVENTION'], 'expected RECOVERY for sleep score 61');
  assert.is(sleep.userId, ourUser, 'expected the routed record keyed by our user id');
  const sleepRow = await waitRow(sleep);
  assert.is(sleepRow.user_id, ourUser, 'expected the sleep row under our user id, not Oura’s');

  const night = await waitRouted('the Oura long sleep period', 'sleep', ouraNight.bedtime_start);
  assert.is(night.enriched.event.hrvRmssdMs, 22, 'expected the night’s HRV');
  assert.is(night.enriched.event.restingHeartRateBpm, 51, 'expected the night’s lowest heart rate');
  assert.is(night.topic, priorityTopic('high'), `expected HRV 22 on ${priorityTopic('high')}, got ${night.topic}`);
  assert.equal(night.enriched.triggers.map((t) => t.type), ['URGENT_INTERVENTION'], 'expected URGENT for HRV 22, once for the night');
  const nightRow = await waitRow(night);
  assert.is(nightRow.user_id, ourUser, 'expected the night’s row under our user id');
  assert.is(nightRow.priority, 'high', 'expected the night’s row priority high');
  assert.equal(nightRow.triggers.map((t) => t.type), ['URGENT_INTERVENTION'], 'expected the row’s triggers to be the routed ones');

  const readiness = await waitRouted('the Oura daily_readiness', 'readiness', ouraReadiness(0).timestamp);
  assert.is(readiness.enriched.event.readinessScore, 66, 'expected the readiness score');
  assert.is(readiness.enriched.event.temperatureDeltaC, -0.2, 'expected the temperature deviation');
  assert.is(readiness.topic, priorityTopic('normal'), 'expected a readiness without triggers on the normal topic');
  const readinessRow = await waitRow(readiness);
  assert.is(readinessRow.user_id, ourUser, 'expected the readiness row under our user id');

  const fetched = api.requests('oura').map((r) => `${r.status} ${r.path.split('?')[0]}`);
  assert.ok(fetched.includes(`200 /v2/usercollection/daily_sleep/${ouraDailySleep.id}`), `expected the daily_sleep fetched with the user's token: ${fetched.join(', ')}`);
  assert.ok(fetched.includes(`200 /v2/usercollection/sleep/${ouraNight.id}`), `expected the night's sleep period fetched: ${fetched.join(', ')}`);
});

test('WHOOP recovery.updated → the sleep → its cycle’s recovery → a recovery event with HRV and score; a workout → an activity event', async () => {
  await sendWhoop('recovery.updated', whoopNight.id);
  await sendWhoop('workout.updated', whoopWorkout.id);

  const recovery = await waitRouted('the WHOOP recovery', 'recovery', whoopRecovery.created_at);
  assert.is(recovery.enriched.event.hrvRmssdMs, 31.8, 'expected hrv_rmssd_milli');
  assert.is(recovery.enriched.event.recoveryScore, 44, 'expected recovery_score');
  assert.is(recovery.enriched.event.source, 'WHOOP', 'expected source WHOOP');
  assert.is(recovery.topic, priorityTopic('medium'), 'expected HRV 31.8 (STRESS) on the medium topic');
  assert.equal(recovery.enriched.triggers.map((t) => t.type), ['STRESS_INTERVENTION'], 'expected STRESS for HRV 31.8');
  const recoveryRow = await waitRow(recovery);
  assert.is(recoveryRow.user_id, ourUser, 'expected the recovery row under our user id, not WHOOP’s');
  const path = api.requests('whoop').filter((r) => r.status === 200).map((r) => r.path);
  const sleepAt = path.indexOf(`/v2/activity/sleep/${whoopNight.id}`);
  assert.ok(sleepAt >= 0 && path.indexOf(`/v2/cycle/${whoopCycle}/recovery`) > sleepAt, `expected the sleep, then its cycle's recovery: ${path.join(', ')}`);

  const workout = await waitRouted('the WHOOP workout', 'activity', whoopWorkout.start);
  const strain = workout.enriched.event.readings.find((r) => r.metric === 'strain')?.value;
  assert.is(strain, 8.2463, 'expected the workout’s strain as a reading');
  assert.is(workout.enriched.event.sleepScore, null, 'expected a workout not to be a sleep');
  assert.is((await waitRow(workout)).data_type, 'activity', 'expected the workout row as activity');
});

async function waitDeletedAt(eventId: string): Promise<{ user_id: string; deleted_at: Date | null; metrics: Record<string, unknown> }> {
  let row: { user_id: string; deleted_at: Date | null; metrics: Record<string, unknown> } | undefined;
  await waitFor(`the row of event ${eventId} marked deleted`, async () => {
    const { rows } = await pool.query<NonNullable<typeof row>>('SELECT user_id, deleted_at, metrics FROM biometric_events WHERE event_id = $1', [eventId]);
    row = rows[0];
    return row?.deleted_at != null || `deleted_at is ${String(row?.deleted_at)}`;
  });
  return row!;
}

test('Oura delete and WHOOP workout.deleted → op: delete on every priority topic → the rows soft-deleted, the others kept', async () => {
  const sleep = routedAt('sleep', ouraDailySleep.timestamp)[0];
  const workout = routedAt('activity', whoopWorkout.start)[0];
  assert.ok(sleep && workout, 'expected the Oura sleep and WHOOP workout routed by the tests before');
  await sendOura('daily_sleep', ouraDailySleep.id, 'delete');
  await sendWhoop('workout.deleted', whoopWorkout.id);

  for (const live of [sleep, workout]) {
    const eventId = live.enriched.event.eventId;
    const deletions = () => routed.filter((m) => m.enriched.event.eventId === eventId && m.enriched.event.op === 'DELETE');
    await waitFor(`the deletion of ${live.enriched.event.dataType} on all three priority topics`, () => deletions().length >= 3 || `${deletions().length} copies routed`, 60_000);
    assert.equal(deletions().map((m) => m.topic).sort(), [priorityTopic('high'), priorityTopic('medium'), priorityTopic('normal')].sort(), 'expected one copy per priority topic');
    for (const copy of deletions()) {
      assert.is(copy.headers['op'], 'delete', 'expected header op: delete');
      assert.is(copy.userId, ourUser, 'expected the deletion keyed by our user id, like the event it retracts');
      assert.equal(copy.enriched.triggers, [], 'expected no trigger on a deletion');
    }
    const row = await waitDeletedAt(eventId);
    assert.is(row.user_id, ourUser, 'expected the soft-deleted row still under our user id');
    assert.ok(Object.keys(row.metrics).length > 0, 'expected the soft-deleted row to keep what it measured');
  }
  assert.is(sleep.enriched.event.op, 'UPSERT', 'expected the live sleep routed before as UPSERT');
  const recovery = routedAt('recovery', whoopRecovery.created_at)[0]!;
  const { rows } = await pool.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM biometric_events WHERE event_id = $1', [recovery.enriched.event.eventId]);
  assert.is(rows[0]?.deleted_at, null, 'expected the WHOOP recovery, not deleted, kept live');
});

test('an expired token: 20 notifications at once → exactly one refresh at the vendor, every one hydrated', async () => {
  const refreshesBefore = oura.refreshes;
  const unauthorizedBefore = api.requests('oura').filter((r) => r.status === 401).length;
  oura.expireAccessTokens();
  const batch = Array.from({ length: 20 }, (_, i) => ouraReadiness(i + 1));
  await Promise.all(batch.map((doc) => sendOura('daily_readiness', doc.id)));

  await waitFor('all 20 readiness events routed', () => {
    const missing = batch.filter((doc) => routedAt('readiness', doc.timestamp).length === 0);
    return missing.length === 0 || `${missing.length} of 20 still missing`;
  }, 60_000);
  assert.is(oura.refreshes - refreshesBefore, 1, `expected exactly one refresh for 20 notifications, got ${oura.refreshes - refreshesBefore}`);
  assert.ok(api.requests('oura').filter((r) => r.status === 401).length > unauthorizedBefore, 'expected the expired token refused (401) before the refresh');
  await waitFor('20 readiness rows under our user id', async () => {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM biometric_events WHERE user_id = $1 AND data_type = 'readiness' AND occurred_at = ANY($2::timestamptz[])",
      [ourUser, batch.map((doc) => doc.timestamp)],
    );
    return rows[0]!.n === 20 || `${rows[0]!.n} rows`;
  });
  assert.is(dlqWatch!.seen.length, 0, `expected no dead letters, got ${dlqWatch!.seen.map((d) => d.reason).join(', ')}`);
});

test('the token endpoint refuses a refresh (invalid_client while our client secret is rotated) → connection_error dead letter, the connection error → fixed → bridge dlq redrive → the row appears, the connection active', async () => {
  oura.script('token', { status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
  oura.expireAccessTokens();
  const doc = ouraReadiness(22);
  await sendOura('daily_readiness', doc.id);

  await waitFor('the connection_error dead letter', () =>
    dlqWatch!.seen.some((d) => d.topic === dlqTopic('hydrate') && d.reason === 'connection_error' && d.value.includes(doc.id)) ||
    `dead letters so far: ${dlqWatch!.seen.map((d) => d.reason).join(', ') || 'none'}`,
  );
  assert.is((await connectionRow('oura', ouraUser))?.status, 'error', 'expected the connection marked error, not revoked: the user revoked nothing');
  const letter = dlqWatch!.seen.find((d) => d.reason === 'connection_error')!;
  assert.match(letter.dlqHeaders, 'invalid_client', `expected the detail to name the refusal: ${letter.dlqHeaders}`);
  for (const token of oura.issuedTokens) assert.not.ok(letter.dlqHeaders.includes(token) || letter.value.includes(token), 'expected no token in the dead letter');
  assert.not.ok(letter.dlqHeaders.includes(oura.clientSecret), 'expected no client secret in the dead letter');

  // The scripted refusal was the only one: the secret is "fixed", and the redrive refreshes.
  const redrive = await bridge('dlq', 'redrive', 'hydrate', '--reason', 'connection_error');
  assert.is(redrive.code, 0, `expected bridge dlq redrive to exit 0: ${redrive.stdout}${redrive.stderr}`);
  const readiness = await waitRouted('the redriven readiness', 'readiness', doc.timestamp);
  assert.is((await waitRow(readiness)).user_id, ourUser, 'expected the row under our user id');
  assert.is((await connectionRow('oura', ouraUser))?.status, 'active', 'expected the connection active again once a refresh succeeded');
});

test('a revoked grant → connection_revoked dead letter → the user reconnects → bridge dlq redrive → the row appears', async () => {
  whoop.revokeGrants();
  whoop.expireAccessTokens();
  await sendWhoop('sleep.updated', whoopLaterNight.id);

  await waitFor('the connection_revoked dead letter', () =>
    dlqWatch!.seen.some((d) => d.topic === dlqTopic('hydrate') && d.reason === 'connection_revoked' && d.value.includes(whoopLaterNight.id)) ||
    `dead letters so far: ${dlqWatch!.seen.map((d) => d.reason).join(', ') || 'none'}`,
  );
  assert.is((await connectionRow('whoop', whoopUser))?.status, 'revoked', 'expected the connection marked revoked after invalid_grant');
  const letter = dlqWatch!.seen.find((d) => d.reason === 'connection_revoked')!;
  assert.match(letter.dlqHeaders, 'dlq-source: verified.whoop/', `expected the letter to name verified.whoop as its source: ${letter.dlqHeaders}`);
  for (const token of whoop.issuedTokens) assert.not.ok(letter.dlqHeaders.includes(token) || letter.value.includes(token), 'expected no token in the dead letter');
  assert.is(routedAt('sleep', whoopLaterNight.start).length, 0, 'expected no event while the grant is revoked');

  const { status, page } = await connect('whoop', whoop);
  assert.is(status, 200, `expected the reconnect to succeed: ${page}`);
  assert.is((await connectionRow('whoop', whoopUser))?.status, 'active', 'expected the connection active again');

  const redrive = await bridge('dlq', 'redrive', 'hydrate', '--reason', 'connection_revoked');
  assert.is(redrive.code, 0, `expected bridge dlq redrive to exit 0: ${redrive.stdout}${redrive.stderr}`);
  assert.match(redrive.stdout, new RegExp(`^redrove \\d+ to ${verifiedTopic('whoop').replace('.', '\\.')}$`, 'm'), `expected the redrive to send records back to verified.whoop: ${redrive.stdout}`);

  const sleep = await waitRouted('the redriven WHOOP sleep', 'sleep', whoopLaterNight.start);
  assert.is(sleep.enriched.event.sleepScore, 88, 'expected the sleep performance score');
  assert.is((await waitRow(sleep)).user_id, ourUser, 'expected the redriven sleep’s row under our user id');
});

test('429 with Retry-After → the partition pauses and resumes, the record goes through, zero dead letters', async () => {
  const pausesBefore = await metric('bridge_stream_pauses_total', { dependency: 'oura-api' });
  api.script('oura', '/v2/usercollection/daily_readiness', [{ status: 429, headers: { 'retry-after': '1' }, body: { detail: 'Too Many Requests' } }]);
  const doc = ouraReadiness(21);
  await sendOura('daily_readiness', doc.id);

  const readiness = await waitRouted('the readiness after the 429', 'readiness', doc.timestamp);
  assert.is((await waitRow(readiness)).user_id, ourUser, 'expected the row under our user id');
  const answers = api.requests('oura').filter((r) => r.path.startsWith(`/v2/usercollection/daily_readiness/${doc.id}`) || r.status === 429).map((r) => r.status);
  assert.equal(answers.slice(-2), [429, 200], `expected one 429, then the document: ${answers.join(', ')}`);
  assert.ok((await metric('bridge_stream_pauses_total', { dependency: 'oura-api' })) > pausesBefore, 'expected hydrate to pause on oura-api');
  await waitFor('no partition paused any more', async () => (await metric('bridge_stream_paused_partitions', {})) === 0 || 'still paused');

  const expected = (d: DeadLetterWatch['seen'][number]) =>
    (d.reason === 'connection_revoked' && d.value.includes(whoopLaterNight.id)) || (d.reason === 'connection_error' && d.value.includes(ouraReadiness(22).id));
  const unexpected = dlqWatch!.seen.filter((d) => !expected(d));
  assert.equal(unexpected.map((d) => `${d.topic} ${d.reason}`), [], 'expected no dead letter but the revoked one and the refused refresh');
  assert.not.match(pipeline!.output(), /"level":(50|60)/, `expected no ERROR or FATAL lines from the pipeline: ${pipeline!.output().slice(-2_000)}`);
  for (const token of [...oura.issuedTokens, ...whoop.issuedTokens]) assert.not.ok(pipeline!.output().includes(token), 'expected no token in the pipeline’s output');
  for (const id of [ourUser, ouraUser, whoopUser]) assert.not.ok(pipeline!.output().includes(id), `expected no user id (${id}) in the pipeline’s output`);
  for (const secretValue of Object.values(secrets)) assert.not.ok(pipeline!.output().includes(secretValue), 'expected no secret in the pipeline’s output');
});

test.run();
