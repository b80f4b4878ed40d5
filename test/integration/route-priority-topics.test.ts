import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { startNeurosConsumer, type NeurosConsumer, type NeurosMessage } from '../../src/neuros/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { runTopology, serdes, type RunningTopology } from '../../src/streams/index.ts';
import { dlqTopic, priorities, priorityTopic } from '../../src/topics.ts';
import { routeTopology } from '../../topologies/route.ts';
import { sampleEnriched } from '../support/enriched-event.ts';
import { createTopics, kafkaClient, schemaStore, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

const kafka = kafkaClient();
const store = schemaStore();
const source = unique('test.enriched');
let admin: Admin;
let producer: Producer;
let running: RunningTopology | undefined;
let reader: NeurosConsumer | undefined;
const seen = new Map<string, NeurosMessage>();

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const shared = [...priorities.map(priorityTopic), dlqTopic('route')].filter((t) => !existing.has(t));
  if (shared.length > 0) await createTopics(admin, shared, 3).catch((error: unknown) => {
    // Another test may create the shared topics at the same moment; that is fine.
    if (!String(error).includes('already exists')) throw error;
  });
  await createTopics(admin, [source], 2);
  producer = reliableProducer(kafka);
  await producer.connect();
  // Warnings (a paused partition, a retried registry call) are printed, so a slow run says why.
  const log = createLogger({ level: 'warn', name: 'route-test' });
  running = await runTopology(routeTopology({ schemaStore: store, sourceTopic: source, groupId: unique('test.route') }), { kafka, log });
  reader = await startNeurosConsumer({
    kafka,
    schemaStore: store,
    groupId: unique('test.neuros'),
    // From the end: the priority topics are shared and keep what benchmarks and other tests wrote
    // (millions of records on a stack bench:latency ran on), which no read from the start gets
    // through in time. It joined before the events below are produced, so it sees them.
    fromBeginning: false,
    handle: async (message) => {
      seen.set(message.enriched.event.eventId, message);
    },
    // The priority topics are shared: other tests put records there that are not Avro (the NEUROS
    // consumer test's junk). Without this the reader stops on such a record, and this test's
    // events behind it in the same partition are never read.
    onUndecodable: () => undefined,
  });
});

test.after(async () => {
  await reader?.stop();
  await running?.stop();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [source] });
  await admin.disconnect();
});

test('each enriched event lands on its priority topic with the routing headers', async () => {
  const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
  const high: EnrichedBiometricEvent = {
    ...sampleEnriched({ hrvRmssdMs: 20, source: 'TERRA', deviceType: 'GARMIN' }),
    priority: 'high',
    triggers: [{ type: 'URGENT_INTERVENTION', severity: 'CRITICAL', metric: 'hrvRmssdMs', value: 20, recommendation: 'immediate_stress_protocol', ruleId: 'hrv-critical' }],
  };
  const medium: EnrichedBiometricEvent = {
    ...sampleEnriched({ temperatureDeltaC: 1.2, source: 'OURA' }),
    priority: 'medium',
    triggers: [{ type: 'TEMPERATURE_DEVIATION', severity: 'HIGH', metric: 'temperatureDeltaC', value: 1.2, recommendation: 'rest_and_monitor', ruleId: 'temperature-high' }],
  };
  const normal = sampleEnriched({ source: 'WHOOP' });
  const values = [high, medium, normal];
  await producer.send({
    topic: source,
    acks: -1,
    messages: await Promise.all(values.map(async (v) => ({ key: v.event.userId, value: await serde.serialize(v, source) }))),
  });

  await waitUntil('three routed events', () => values.every((v) => seen.has(v.event.eventId)), { timeoutMs: 60_000 });
  const got = (v: EnrichedBiometricEvent) => seen.get(v.event.eventId)!;
  assert.is(got(high).topic, 'neuros.priority.high', 'expected the critical event on neuros.priority.high');
  assert.is(got(medium).topic, 'neuros.priority.medium', 'expected the HIGH-severity event on neuros.priority.medium');
  assert.is(got(normal).topic, 'neuros.priority.normal', 'expected the untriggered event on neuros.priority.normal');
  assert.is(got(high).userId, high.event.userId, 'expected the record keyed by user id');
  assert.equal(
    [got(high).headers['priority'], got(high).headers['source'], got(high).headers['device_type'], got(high).headers['has_triggers']],
    ['high', 'terra', 'GARMIN', 'true'],
    'expected priority/source/device_type/has_triggers headers on the high record',
  );
  assert.is(JSON.parse(got(high).headers['triggers'] ?? '[]')[0]?.type, 'URGENT_INTERVENTION', 'expected the triggers header as JSON');
  assert.equal(
    [got(normal).headers['source'], got(normal).headers['has_triggers'], got(normal).headers['triggers']],
    ['bridge', 'false', '[]'],
    'expected source bridge and no triggers on the normal record',
  );
  assert.is(got(medium).enriched.triggers[0]?.ruleId, 'temperature-high', 'expected the decoded value to carry its triggers');
});

test.run();
