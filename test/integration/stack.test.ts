import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import kafkajs, { type Admin } from 'kafkajs';
import { kafkaService } from '../../src/cli/stack/services/kafka.ts';
import { nativeEndpoints } from '../../src/config/native-stack.ts';
import { setTopicOverride } from '../../src/streams/topic-overrides.ts';
import { config, createTopics, kafkaClient, pgPool, redis, registry, unique, testConsumer } from '../support/services.ts';

test('kafka: a committed transaction is read by a read_committed consumer, an aborted one is not', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('tx');
  await createTopics(admin, [topic]);
  const producer = kafka.producer({ transactionalId: unique('tx-producer'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
  await aborted.abort();
  const committed = await producer.transaction();
  await committed.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
  await committed.commit();

  const consumer = testConsumer(kafka, { groupId: unique('tx-reader'), readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${JSON.stringify(seen)} after 20 s`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value?.toString() ?? '');
        if (seen.includes('committed')) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  assert.equal(seen, ['committed'], 'only the committed record is visible');
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});

async function topicConfig(admin: Admin, topic: string): Promise<Record<string, string>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['segment.bytes', 'cleanup.policy'] }],
  });
  return Object.fromEntries((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
}

// Runs after the transaction test above, so both coordinator topics exist.
test('kafka: the coordinators\' topics roll 1 MiB compacted segments, and `stack up` sets them on an older stack', async () => {
  if (config.KAFKA_BROKERS.join(',') !== nativeEndpoints.kafkaBrokers) {
    console.log(`  (not the native stack's broker: ${config.KAFKA_BROKERS.join(',')}; its settings are its own)`);
    return;
  }
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    for (const topic of ['__consumer_offsets', '__transaction_state']) {
      assert.equal(await topicConfig(admin, topic), { 'segment.bytes': '1048576', 'cleanup.policy': 'compact' }, `expected ${topic} to roll 1 MiB segments the cleaner compacts`);
    }
    // As a stack formatted before the setting had it.
    await setTopicOverride(admin, '__transaction_state', 'segment.bytes', '104857600');
    const said: string[] = [];
    await kafkaService.settle?.((line) => said.push(line));
    assert.equal(await topicConfig(admin, '__transaction_state'), { 'segment.bytes': '1048576', 'cleanup.policy': 'compact' }, 'expected settle to set the segments back and keep compaction');
    assert.equal(said, ['kafka: __transaction_state now rolls segments at 1 MiB (was 104857600 bytes), so the log cleaner compacts it and a restarted broker loads it fast']);
    said.length = 0;
    await kafkaService.settle?.((line) => said.push(line));
    assert.equal(said, [], 'expected nothing to do on a second run');
  } finally {
    await setTopicOverride(admin, '__transaction_state', 'segment.bytes', '1048576');
    await admin.disconnect();
  }
});

test('registry: an Avro schema registers and a record round-trips in Confluent wire format', async () => {
  const client = registry();
  const subject = `${unique('stack-check')}-value`;
  const schema = JSON.stringify({
    type: 'record',
    name: 'StackCheck',
    namespace: 'bridge.test',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'value', type: 'double' },
    ],
  });
  const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject });
  assert.ok(Number.isInteger(id) && id > 0, `registry returned schema id ${id}`);
  const encoded = await client.encode(id, { id: 'a', value: 42.5 });
  assert.is(encoded[0], 0, 'magic byte 0');
  assert.is(encoded.readInt32BE(1), id, 'schema id follows the magic byte');
  // avsc decodes into a record class; its fields are what matter.
  assert.equal({ ...(await client.decode(encoded)) }, { id: 'a', value: 42.5 });
  const again = await client.register({ type: SchemaType.AVRO, schema }, { subject });
  assert.is(again.id, id, 'registering the same schema again returns the same id');
  const compat = await fetch(`${config.SCHEMA_REGISTRY_URL}/config`).then((r) => r.json() as Promise<{ compatibilityLevel?: string }>);
  assert.is(compat.compatibilityLevel, 'BACKWARD_TRANSITIVE', 'global compatibility rule');
});

test('postgres: a row written is read back', async () => {
  const pool = pgPool();
  const table = unique('stack_check').replace('-', '_');
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, n int)`);
  await pool.query(`INSERT INTO ${table} VALUES ($1, $2)`, ['a', 7]);
  const { rows } = await pool.query<{ id: string; n: number }>(`SELECT id, n FROM ${table}`);
  assert.equal(rows, [{ id: 'a', n: 7 }]);
  await pool.query(`DROP TABLE ${table}`);
  await pool.end();
});

test('redis: SET NX admits the first writer only, and the key expires', async () => {
  const client = redis();
  const key = unique('replay-guard');
  assert.is(await client.set(key, '1', 'PX', 300, 'NX'), 'OK', 'first SET NX wins');
  assert.is(await client.set(key, '1', 'PX', 300, 'NX'), null, 'second SET NX is refused');
  const ttl = await client.pttl(key);
  assert.ok(ttl > 0 && ttl <= 300, `ttl ${ttl} ms within the 300 ms asked`);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.is(await client.exists(key), 0, 'key gone after its ttl');
  client.disconnect();
});

test.run();
