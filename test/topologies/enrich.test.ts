import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import { Registry } from 'prom-client';
import type { BiometricEvent, EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { serdes } from '../../src/streams/index.ts';
import { memorySchemaStore, TopologyTestDriver } from '../../src/streams/testing/index.ts';
import { loadRuleSet } from '../../src/triggers/index.ts';
import { topics } from '../../src/topics.ts';
import { defaultRulesFile, enrichTopology } from '../../topologies/enrich.ts';
import { sampleEvent } from '../support/enriched-event.ts';

const rules = await loadRuleSet(defaultRulesFile);
const schemas = bridgeSchemas();

function setup() {
  const store = memorySchemaStore();
  const metrics = new Registry();
  const driver = new TopologyTestDriver(enrichTopology({ rules, schemaStore: store, metrics, now: () => 1_700_000_000_000 }));
  const input = driver.inputTopic(topics.events, serdes.string(), serdes.avro<BiometricEvent>({ store, schema: schemas.BiometricEvent.json as Schema }));
  const output = driver.outputTopic(topics.enriched, serdes.string(), serdes.avro<EnrichedBiometricEvent>({ store, schema: schemas.EnrichedBiometricEvent.json as Schema }));
  return { driver, input, output, metrics };
}

test('low HRV gives a CRITICAL trigger and priority high, keyed by user', async () => {
  const { input, output } = setup();
  const event = sampleEvent({ hrvRmssdMs: 24.9, sleepScore: 90, temperatureDeltaC: 0 });
  await input.pipe({ key: event.userId, value: event, headers: { 'received-at': '1' } });
  const [out] = await output.readRecords();
  assert.ok(out, 'expected one enriched record');
  assert.is(out.key, event.userId, 'expected the user id key to be kept');
  // avsc decodes records as instances of generated classes; compare the plain data.
  assert.equal(JSON.parse(JSON.stringify(out.value.event)), event, 'expected the event unchanged inside the enriched record');
  assert.equal(out.value.triggers.map((t) => t.type), ['URGENT_INTERVENTION'], 'expected the critical HRV trigger');
  assert.is(out.value.triggers[0]?.ruleId, 'hrv-critical', 'expected the rule id on the trigger');
  assert.is(out.value.priority, 'high', 'expected CRITICAL → high');
  assert.is(out.value.enrichedAt, 1_700_000_000_000, 'expected enrichedAt from the clock');
  assert.is(out.headers['received-at'], '1', 'expected input headers to travel on');
});

test('HIGH without CRITICAL gives medium; no trigger gives normal with an empty list', async () => {
  const { input, output } = setup();
  const warm = sampleEvent({ hrvRmssdMs: 55, sleepScore: 69, temperatureDeltaC: 1.0 });
  const calm = sampleEvent({ hrvRmssdMs: 40, sleepScore: 70, temperatureDeltaC: 0.99 });
  await input.pipe({ key: warm.userId, value: warm });
  await input.pipe({ key: calm.userId, value: calm });
  const [first, second] = await output.readRecords();
  assert.equal(first?.value.triggers.map((t) => t.type), ['RECOVERY_INTERVENTION', 'TEMPERATURE_DEVIATION'], 'expected sleep and temperature triggers');
  assert.is(first?.value.priority, 'medium', 'expected HIGH → medium');
  assert.equal(second?.value.triggers, [], 'expected no triggers at the boundaries 40 / 70 / 0.99');
  assert.is(second?.value.priority, 'normal', 'expected normal without triggers');
});

test('cognitive_mode_triggers_total counts by type and severity', async () => {
  const { input, metrics } = setup();
  for (const hrv of [10, 20, 30]) {
    const event = sampleEvent({ hrvRmssdMs: hrv, sleepScore: null, temperatureDeltaC: null });
    await input.pipe({ key: event.userId, value: event });
  }
  const metric = await metrics.getSingleMetric('cognitive_mode_triggers_total')?.get();
  const count = (type: string, severity: string) => metric?.values.find((v) => v.labels['type'] === type && v.labels['severity'] === severity)?.value;
  assert.is(count('URGENT_INTERVENTION', 'CRITICAL'), 2, 'expected two critical HRV triggers counted');
  assert.is(count('STRESS_INTERVENTION', 'HIGH'), 1, 'expected one high HRV trigger counted');
});

test('a value that is not Avro is dead-lettered, not dropped', async () => {
  const { driver, output } = setup();
  await driver.pipeRaw({ topic: topics.events, partition: 0, offset: '0', timestamp: 1, key: Buffer.from('u'), value: Buffer.from('{"json":true}'), headers: {} });
  assert.is(driver.deadLetters()[0]?.reason, 'deserialization_failed', 'expected a dead letter with its reason');
  assert.ok(output.isEmpty(), 'expected nothing enriched');
});

const day = 86_400_000;
const lastNight = Date.UTC(2026, 10, 20, 4); // the event judged: 04:00 UTC after seven logged nights

/** One event per night before `lastNight`, oldest first, with the given values. */
async function logNights(input: ReturnType<typeof setup>['input'], userId: string, nights: ReadonlyArray<Partial<BiometricEvent>>) {
  for (const [i, values] of nights.entries()) {
    const event = sampleEvent({ userId, occurredAt: lastNight - (nights.length - i) * day, sleepScore: null, temperatureDeltaC: null, ...values });
    await input.pipe({ key: userId, value: event });
  }
}

test('a user whose 7-day HRV median is 65 ms and who logs 40 ms gets HRV_BASELINE_DROP (HIGH → medium)', async () => {
  const { input, output } = setup();
  await logNights(input, 'athlete', [60, 62, 65, 65, 66, 68, 70].map((hrvRmssdMs) => ({ hrvRmssdMs, restingHeartRateBpm: 48 })));
  await output.readRecords();
  const bad = sampleEvent({ userId: 'athlete', occurredAt: lastNight, hrvRmssdMs: 40, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null });
  await input.pipe({ key: 'athlete', value: bad });
  const [out] = await output.readRecords();
  assert.equal(out?.value.triggers.map((t) => [t.type, t.severity, t.ruleId]), [['HRV_BASELINE_DROP', 'HIGH', 'hrv-baseline-drop']], 'only the baseline rule fires: 40 ms is not below the fixed 40');
  assert.is(out?.value.priority, 'medium', 'HIGH → medium, as for any fixed rule');
  assert.equal(
    out?.value.baselines?.map((b) => ({ ...b })),
    [
      { metric: 'hrvRmssdMs', median: 65, days: 7, windowDays: 7 },
      { metric: 'restingHeartRateBpm', median: 48, days: 7, windowDays: 7 },
    ],
    'the enriched event carries the baselines it was judged against',
  );
});

test('a user at 40 ms every night gets no HRV_BASELINE_DROP, and no fixed trigger at the boundary', async () => {
  const { input, output } = setup();
  await logNights(input, 'steady', Array.from({ length: 7 }, () => ({ hrvRmssdMs: 40 })));
  await input.pipe({ key: 'steady', value: sampleEvent({ userId: 'steady', occurredAt: lastNight, hrvRmssdMs: 40, sleepScore: null, temperatureDeltaC: null }) });
  const all = await output.readRecords();
  assert.equal(all.flatMap((r) => r.value.triggers.map((t) => t.type)), [], 'no trigger on any night');
  assert.equal(all.at(-1)?.value.baselines?.find((b) => b.metric === 'hrvRmssdMs')?.median, 40, 'judged against a baseline of 40');
});

test('with fewer than 5 days of history the baseline rule stays quiet; the fixed rules still fire', async () => {
  const { input, output } = setup();
  await logNights(input, 'new-user', [65, 66, 64, 65].map((hrvRmssdMs) => ({ hrvRmssdMs })));
  await input.pipe({ key: 'new-user', value: sampleEvent({ userId: 'new-user', occurredAt: lastNight, hrvRmssdMs: 24, sleepScore: null, temperatureDeltaC: null }) });
  const last = (await output.readRecords()).at(-1);
  assert.equal(last?.value.triggers.map((t) => t.type), ['URGENT_INTERVENTION'], 'the fixed critical rule only: 4 days are not enough history');
  assert.is(last?.value.priority, 'high', 'CRITICAL → high, unchanged');
});

test('a night synced two days late is judged against the seven nights before it, not five', async () => {
  const { input, output } = setup();
  await logNights(input, 'traveller', [60, 62, 65, 65, 66, 68, 70].map((hrvRmssdMs) => ({ hrvRmssdMs, restingHeartRateBpm: 48 })));
  // The two nights after the late one arrive first (the watch synced them from another phone).
  for (const after of [1, 2]) await input.pipe({ key: 'traveller', value: sampleEvent({ userId: 'traveller', occurredAt: lastNight + after * day, hrvRmssdMs: 64, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null }) });
  await output.readRecords();
  await input.pipe({ key: 'traveller', value: sampleEvent({ userId: 'traveller', occurredAt: lastNight, hrvRmssdMs: 40, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null }) });
  const [late] = await output.readRecords();
  assert.equal({ ...late?.value.baselines?.find((b) => b.metric === 'hrvRmssdMs') }, { metric: 'hrvRmssdMs', median: 65, days: 7, windowDays: 7 }, 'its own week: the nights after it are not in it, none of it is past retention');
  assert.equal(late?.value.triggers.map((t) => t.type), ['HRV_BASELINE_DROP']);
});

test('history that arrives after the user’s live events (a backfill on connect) fills their week: the next night is judged against seven days', async () => {
  const { input, output } = setup();
  // The first live night comes before the backfill of the week before it.
  const night = (userId: string, occurredAt: number, hrvRmssdMs: number) => input.pipe({ key: userId, value: sampleEvent({ userId, occurredAt, hrvRmssdMs, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null }) });
  await night('connected', lastNight, 65);
  for (const [i, hrv] of [60, 62, 65, 65, 66, 68, 70].entries()) await night('connected', lastNight - (7 - i) * day, hrv);
  await output.readRecords();
  await night('connected', lastNight + day, 40);
  const [next] = await output.readRecords();
  assert.equal({ ...next?.value.baselines?.find((b) => b.metric === 'hrvRmssdMs') }, { metric: 'hrvRmssdMs', median: 65, days: 7, windowDays: 7 }, 'the six backfilled nights of its week and the live one: none dropped as late');
  assert.equal(next?.value.triggers.map((t) => t.type), ['HRV_BASELINE_DROP']);
});

test('a night more than two days ahead of the clock is dropped, not let expire the user’s week', async () => {
  const { driver, input, output } = setup();
  let dropped = 0;
  driver.events.on('late-dropped', (e) => (dropped += e.count));
  await logNights(input, 'clock-ahead', [60, 62, 65, 65, 66, 68, 70].map((hrvRmssdMs) => ({ hrvRmssdMs, restingHeartRateBpm: 48 })));
  const ahead = Date.now() + 3 * day;
  await input.pipe({ key: 'clock-ahead', value: sampleEvent({ userId: 'clock-ahead', occurredAt: ahead, hrvRmssdMs: 30, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null }) });
  await input.pipe({ key: 'clock-ahead', value: sampleEvent({ userId: 'clock-ahead', occurredAt: lastNight, hrvRmssdMs: 40, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null }) });
  const judged = (await output.readRecords()).at(-1);
  assert.equal(judged?.value.baselines?.find((b) => b.metric === 'hrvRmssdMs')?.days, 7, 'the week kept: the night from a clock ahead moved nothing');
  assert.is(dropped, 1, 'and it was counted as dropped');
});

test('resting heart rate 10 % above the baseline fires a MEDIUM trigger, which leaves the priority normal', async () => {
  const { input, output } = setup();
  await logNights(input, 'runner', Array.from({ length: 6 }, () => ({ hrvRmssdMs: 55, restingHeartRateBpm: 50 })));
  await input.pipe({ key: 'runner', value: sampleEvent({ userId: 'runner', occurredAt: lastNight, hrvRmssdMs: 55, restingHeartRateBpm: 55, sleepScore: null, temperatureDeltaC: null }) });
  await input.pipe({ key: 'runner', value: sampleEvent({ userId: 'runner', occurredAt: lastNight + day, hrvRmssdMs: 55, restingHeartRateBpm: 54.9, sleepScore: null, temperatureDeltaC: null }) });
  const records = await output.readRecords();
  const [elevated, below] = records.slice(-2);
  assert.equal(elevated?.value.triggers.map((t) => [t.type, t.severity]), [['RESTING_HEART_RATE_ELEVATED', 'MEDIUM']], '55 bpm is 10 % above 50');
  assert.is(elevated?.value.priority, 'normal', 'MEDIUM alone does not raise the priority (docs/design.md §5)');
  assert.equal(below?.value.triggers, [], '54.9 bpm is under 10 % above the baseline');
});

test('a deletion is judged by no rule and leaves the baseline alone', async () => {
  const { input, output } = setup();
  await logNights(input, 'retracting', [60, 62, 65, 65, 66, 68, 70].map((hrvRmssdMs) => ({ hrvRmssdMs, restingHeartRateBpm: 48 })));
  await output.readRecords();
  // Values on a deletion never come from a mapping; they are here to prove nothing judges them.
  const deletion = sampleEvent({ userId: 'retracting', occurredAt: lastNight, hrvRmssdMs: 20, op: 'DELETE' });
  await input.pipe({ key: 'retracting', value: deletion });
  const [out] = await output.readRecords();
  assert.equal(out?.value.triggers, [], 'expected no trigger for a deletion');
  assert.is(out?.value.priority, 'normal', 'expected priority normal');
  assert.equal(out?.value.baselines, [], 'expected no baselines on a deletion');
  // The next day's window holds the six later logged nights and the deletion's day.
  const after = sampleEvent({ userId: 'retracting', occurredAt: lastNight + day, hrvRmssdMs: 64, restingHeartRateBpm: 48, sleepScore: null, temperatureDeltaC: null });
  await input.pipe({ key: 'retracting', value: after });
  const [next] = await output.readRecords();
  const hrv = next?.value.baselines?.find((b) => b.metric === 'hrvRmssdMs');
  assert.equal({ median: hrv?.median, days: hrv?.days }, { median: 65.5, days: 6 }, 'expected the baseline of the six logged nights, without the deletion’s day');
});

test('an event without a baseline metric carries no baselines and adds nothing; one with a single metric carries that baseline only', async () => {
  const { input, output } = setup();
  await logNights(input, 'oura-day', Array.from({ length: 6 }, () => ({ hrvRmssdMs: 60, restingHeartRateBpm: 50 })));
  await output.readRecords();
  // An activity: none of the metrics a baseline rule reads.
  const activity = sampleEvent({ userId: 'oura-day', dataType: 'activity', occurredAt: lastNight, hrvRmssdMs: null, restingHeartRateBpm: null, sleepScore: null });
  await input.pipe({ key: 'oura-day', value: activity });
  const [judgedActivity] = await output.readRecords();
  assert.equal(judgedActivity?.value.baselines, [], 'expected no baselines: no rule judged the activity against one');
  // A readiness with only the resting heart rate, the same day.
  const readiness = sampleEvent({ userId: 'oura-day', dataType: 'readiness', occurredAt: lastNight + 3_600_000, hrvRmssdMs: null, restingHeartRateBpm: 56, sleepScore: null });
  await input.pipe({ key: 'oura-day', value: readiness });
  const [judgedReadiness] = await output.readRecords();
  assert.equal(judgedReadiness?.value.baselines?.map((b) => ({ ...b })), [{ metric: 'restingHeartRateBpm', median: 50, days: 6, windowDays: 7 }], 'expected the resting heart rate baseline only');
  assert.equal(judgedReadiness?.value.triggers.map((t) => t.type), ['RESTING_HEART_RATE_ELEVATED'], '56 bpm is 12 % above 50');
  // The next night: the readiness added its resting heart rate to its day, the activity nothing.
  await input.pipe({ key: 'oura-day', value: sampleEvent({ userId: 'oura-day', occurredAt: lastNight + day, hrvRmssdMs: 60, restingHeartRateBpm: 50, sleepScore: null, temperatureDeltaC: null }) });
  const [next] = await output.readRecords();
  assert.equal(
    next?.value.baselines?.map((b) => [b.metric, b.days]),
    [['hrvRmssdMs', 6], ['restingHeartRateBpm', 7]],
    'expected six days of HRV (the activity and the readiness had none) and seven of resting heart rate',
  );
});

test('describe() names every node', () => {
  const text = enrichTopology({ rules, schemaStore: memorySchemaStore() }).describe().toString();
  for (const name of ['biometric-events', 'evaluate-triggers', 'count-triggers', 'enriched-events']) {
    assert.match(text, name, `expected node ${name} in the description`);
  }
  assert.match(text, 'State store: baselines (window, changelog: bridge.enrich-baselines-changelog', 'expected the baseline store and its changelog');
});

test.run();
