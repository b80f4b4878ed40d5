import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { startNeurosConsumer, type NeurosConsumer, type NeurosMessage } from '../../src/neuros/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { serdes } from '../../src/streams/index.ts';
import { priorities, priorityTopic } from '../../src/topics.ts';
import { sampleEnriched } from '../support/enriched-event.ts';
import { createTopics, kafkaClient, schemaStore, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

const kafka = kafkaClient();
const serde = serdes.avro<EnrichedBiometricEvent>({ store: schemaStore(), schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
let admin: Admin;
let producer: Producer;
let reader: NeurosConsumer | undefined;
const seen = new Map<string, NeurosMessage>();
const undecodable: string[] = [];
const marker = unique('junk');

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const missing = priorities.map(priorityTopic).filter((t) => !existing.has(t));
  if (missing.length > 0) await createTopics(admin, missing, 3).catch((error: unknown) => {
    // Another test may create the shared topics at the same moment; that is fine.
    if (!String(error).includes('already exists')) throw error;
  });
  producer = reliableProducer(kafka);
  await producer.connect();
  reader = await startNeurosConsumer({
    kafka,
    schemaStore: schemaStore(),
    groupId: unique('test.neuros'),
    priorities: ['high', 'medium'],
    // From the end: the priority topics are shared, and a long-lived stack holds millions of
    // records there (every benchmark run routes to them), more than this test can read in time.
    fromBeginning: false,
    handle: async (message) => {
      seen.set(message.enriched.event.eventId, message);
    },
    onUndecodable: ({ topic, offset }) => {
      undecodable.push(`${topic}/${offset}`);
    },
  });
});

test.after(async () => {
  await reader?.stop();
  await producer.disconnect();
  await admin.disconnect();
});

test('decodes EnrichedBiometricEvent from the chosen priority topics, skipping junk', async () => {
  const high: EnrichedBiometricEvent = {
    ...sampleEnriched({ hrvRmssdMs: 21.5 }),
    priority: 'high',
    triggers: [{ type: 'URGENT_INTERVENTION', severity: 'CRITICAL', metric: 'hrvRmssdMs', value: 21.5, recommendation: 'immediate_stress_protocol', ruleId: 'hrv-critical' }],
  };
  const normal = sampleEnriched();
  const highTopic = priorityTopic('high');
  // A group reading from the end takes its positions at its first fetch: junk sent until it is
  // reported shows that fetch happened, so what is sent next is read.
  await waitUntil(
    'the reader to report a junk record',
    async () => {
      await producer.send({ topic: highTopic, acks: -1, messages: [{ key: 'x', value: Buffer.from(marker) }] });
      return undecodable.length > 0;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  await producer.send({ topic: highTopic, acks: -1, messages: [{ key: high.event.userId, value: await serde.serialize(high, highTopic), headers: { priority: 'high' } }] });
  await producer.send({ topic: priorityTopic('normal'), acks: -1, messages: [{ key: normal.event.userId, value: await serde.serialize(normal, priorityTopic('normal')) }] });
  const sentinel = sampleEnriched();
  await producer.send({ topic: priorityTopic('medium'), acks: -1, messages: [{ key: sentinel.event.userId, value: await serde.serialize({ ...sentinel, priority: 'medium' }, priorityTopic('medium')) }] });

  await waitUntil('the high and the medium event', () => seen.has(high.event.eventId) && seen.has(sentinel.event.eventId), { timeoutMs: 60_000 });
  const got = seen.get(high.event.eventId)!;
  assert.is(got.priority, 'high', 'expected the priority from the topic');
  assert.is(got.userId, high.event.userId, 'expected the user id from the key');
  assert.is(got.enriched.event.hrvRmssdMs, 21.5, 'expected the typed headline value');
  assert.is(got.enriched.triggers[0]?.recommendation, 'immediate_stress_protocol', 'expected typed triggers');
  assert.is(got.headers['priority'], 'high', 'expected headers as strings');
  assert.is(seen.get(sentinel.event.eventId)?.priority, 'medium', 'expected medium read as well');
  assert.not.ok(seen.has(normal.event.eventId), 'expected the normal topic not read when only high and medium were asked for');
  assert.ok(undecodable.length >= 1, 'expected the junk record reported as undecodable, not handled');
});

test('a static member killed without leaving its group reads again at once when it restarts', async () => {
  const groupId = unique('test.neuros.static');
  const member = spawn(process.execPath, ['test/support/neuros-member.ts', groupId, 'neuros-0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  member.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitUntil('the member process to join its group', () => out.includes('joined'));
  member.kill('SIGKILL');
  await once(member, 'exit');
  // The killed member never left. Under its instance id the restart replaces it; a new dynamic
  // member would wait out the killed one's 30 s session before the group gave it partitions.
  const restarted = await startNeurosConsumer({
    kafka,
    schemaStore: schemaStore(),
    groupId,
    groupInstanceId: 'neuros-0',
    sessionTimeoutMs: 30_000,
    joinTimeoutMs: 10_000,
    priorities: ['high'],
    handle: async () => {},
  });
  await restarted.stop();
});

test.run();
