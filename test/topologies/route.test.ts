import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import { headlineFields, type EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { serdes } from '../../src/streams/index.ts';
import { memorySchemaStore, TopologyTestDriver } from '../../src/streams/testing/index.ts';
import { priorityTopic, topics } from '../../src/topics.ts';
import { routeTopology, toLegacyEvent, type LegacyBiometricEvent } from '../../topologies/route.ts';
import { sampleEnriched } from '../support/enriched-event.ts';

const enrichedSchema = bridgeSchemas().EnrichedBiometricEvent.json as Schema;

function setup(legacyMirror = false) {
  const store = memorySchemaStore();
  const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: enrichedSchema });
  const driver = new TopologyTestDriver(routeTopology({ schemaStore: store, legacyMirror }));
  const input = driver.inputTopic(topics.enriched, serdes.string(), serde);
  const out = (priority: 'high' | 'medium' | 'normal') => driver.outputTopic(priorityTopic(priority), serdes.string(), serde);
  return { driver, input, out };
}

const critical: EnrichedBiometricEvent = {
  ...sampleEnriched({ hrvRmssdMs: 20, source: 'TERRA', deviceType: 'GARMIN' }),
  priority: 'high',
  triggers: [{ type: 'URGENT_INTERVENTION', severity: 'CRITICAL', metric: 'hrvRmssdMs', value: 20, recommendation: 'immediate_stress_protocol', ruleId: 'hrv-critical' }],
};

test('each priority goes to its own neuros.priority topic, keyed by user', async () => {
  const { input, out } = setup();
  const medium: EnrichedBiometricEvent = { ...sampleEnriched(), priority: 'medium' };
  const normal = sampleEnriched();
  for (const value of [critical, medium, normal]) await input.pipe({ key: value.event.userId, value });
  const [high] = await out('high').readRecords();
  assert.is(high?.key, critical.event.userId, 'expected the high record keyed by its user');
  assert.is(high?.value.event.eventId, critical.event.eventId, 'expected the critical event on neuros.priority.high');
  assert.is((await out('medium').readRecords())[0]?.value.event.eventId, medium.event.eventId, 'expected the medium event on neuros.priority.medium');
  assert.is((await out('normal').readRecords())[0]?.value.event.eventId, normal.event.eventId, 'expected the normal event on neuros.priority.normal');
});

test('routed records carry priority, device_type, source, has_triggers and triggers headers', async () => {
  const { input, out } = setup();
  await input.pipe({ key: critical.event.userId, value: critical, headers: { 'x-request-id': 'r1' } });
  const [record] = await out('high').readRecords();
  const headers = record?.headers ?? {};
  assert.is(headers['priority'], 'high', 'expected the priority header');
  assert.is(headers['device_type'], 'GARMIN', 'expected the device type from the event');
  assert.is(headers['source'], 'terra', 'expected source terra for Terra events');
  assert.is(headers['has_triggers'], 'true', 'expected has_triggers true');
  assert.equal(JSON.parse(headers['triggers'] ?? 'null'), [
    { type: 'URGENT_INTERVENTION', severity: 'CRITICAL', metric: 'hrvRmssdMs', recommendation: 'immediate_stress_protocol' },
  ], 'expected the triggers as JSON, without the reading');
  assert.is(headers['x-request-id'], 'r1', 'expected upstream headers kept');
});

test('direct vendor events say source bridge, no triggers, and fall back to the vendor as device_type', async () => {
  const { input, out } = setup();
  const value = sampleEnriched({ source: 'WHOOP', deviceType: null });
  await input.pipe({ key: value.event.userId, value });
  const headers = (await out('normal').readRecords())[0]?.headers ?? {};
  assert.equal(
    [headers['source'], headers['has_triggers'], headers['triggers'], headers['device_type']],
    ['bridge', 'false', '[]', 'whoop'],
    'expected bridge / false / [] / whoop',
  );
});

test('the legacy JSON mirror is off by default', async () => {
  const { input, driver } = setup();
  await input.pipe({ key: critical.event.userId, value: critical });
  assert.not.ok(driver.writtenTopics().includes(topics.legacyEvents), 'expected nothing on biometric-events by default');
});

test('with the mirror on, biometric-events gets the snake_case JSON as well', async () => {
  const { input, driver, out } = setup(true);
  await input.pipe({ key: critical.event.userId, value: critical });
  const [legacy] = await driver.outputTopic(topics.legacyEvents, serdes.string(), serdes.json<LegacyBiometricEvent>()).readRecords();
  assert.ok(legacy, 'expected a mirrored record');
  assert.is(legacy.key, critical.event.userId, 'expected the user id key');
  assert.is(legacy.value.event_id, critical.event.eventId, 'expected event_id');
  assert.is(legacy.value.metrics['hrv_rmssd_ms'], 20, 'expected snake_case headline metrics');
  assert.is(legacy.value.timestamp, new Date(critical.event.occurredAt).toISOString(), 'expected an ISO timestamp');
  assert.is(legacy.value.priority, 'high', 'expected the priority');
  assert.is(legacy.headers['priority'], 'high', 'expected the routing headers on the mirror too');
  assert.is((await out('high').readRecords()).length, 1, 'expected the priority topic still written');
});

test('the legacy mirror carries every headline field under its snake_case name', () => {
  const values = Object.fromEntries(headlineFields.map((field, i) => [field, i + 1]));
  const legacy = toLegacyEvent(sampleEnriched(values));
  const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  assert.equal(
    legacy.metrics,
    Object.fromEntries(headlineFields.map((field, i) => [snake(field), i + 1])),
    'expected one legacy metric per headline field, none missing',
  );
  const none = toLegacyEvent(sampleEnriched(Object.fromEntries(headlineFields.map((field) => [field, null]))));
  assert.equal(none.metrics, {}, 'expected absent headlines left out');
});

test('a deletion goes to every priority topic with header op: delete, and not to the legacy mirror', async () => {
  const { driver, input, out } = setup(true);
  const deletion: EnrichedBiometricEvent = { ...sampleEnriched({ op: 'DELETE', hrvRmssdMs: null, sleepScore: null, temperatureDeltaC: null, restingHeartRateBpm: null, readings: [] }) };
  const live = sampleEnriched();
  await input.pipe({ key: deletion.event.userId, value: deletion });
  await input.pipe({ key: live.event.userId, value: live });
  const routed = { high: await out('high').readRecords(), medium: await out('medium').readRecords(), normal: await out('normal').readRecords() };
  for (const priority of ['high', 'medium', 'normal'] as const) {
    const records = routed[priority].filter((record) => record.value.event.eventId === deletion.event.eventId);
    assert.is(records.length, 1, `expected the deletion once on neuros.priority.${priority}`);
    assert.is(records[0]?.headers['op'], 'delete', 'expected header op: delete');
    assert.is(records[0]?.headers['priority'], priority, 'expected the priority header naming the topic it is on');
    assert.is(records[0]?.value.priority, priority, 'expected the value’s priority naming the topic it is on');
  }
  const normal = routed.normal.find((record) => record.value.event.eventId === live.event.eventId);
  assert.is(normal?.headers['op'], 'upsert', 'expected header op: upsert on a live event');
  const legacy = await driver.outputTopic(topics.legacyEvents, serdes.string(), serdes.json<LegacyBiometricEvent>()).readRecords();
  assert.equal(legacy.map((record) => record.value.event_id), [live.event.eventId], 'expected only the live event mirrored as legacy JSON');
});

test.run();
