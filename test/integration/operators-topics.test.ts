import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs, { type Admin } from 'kafkajs';
import { kafkaClient, unique } from '../support/services.ts';
import { createTopics } from '../../src/operators/topics-create.ts';
import { allTopics } from '../../src/topics.ts';
import { bridge } from './operators-cli.ts';

const kafka = kafkaClient();
let admin: Admin;
const settings = {
  partitions: 3,
  replicationFactor: 1,
  retentionMs: 3_600_000,
  dlqRetentionMs: 7_200_000,
  compression: 'zstd',
  maxMessageBytes: (topic: string) => (topic.startsWith('dlq.') ? 2_200_000 : 2_100_000),
};

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
});
test.after(async () => admin.disconnect());

test('creates missing topics with partitions, retention and compression; idempotent', async () => {
  const names = [unique('topics-a'), `dlq.${unique('stage')}`];
  const first = await createTopics(admin, names, settings);
  assert.equal(first.map((r) => r.status), ['created', 'created'], 'expected both created');
  assert.equal(first.map((r) => r.partitions), [3, 3], 'expected 3 partitions each');

  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'compression.type'] })),
  });
  const configOf = (name: string, key: string) =>
    resources.find((r) => r.resourceName === name)?.configEntries.find((e) => e.configName === key)?.configValue;
  assert.is(configOf(names[0] as string, 'retention.ms'), '3600000', 'expected the configured retention');
  assert.is(configOf(names[1] as string, 'retention.ms'), '7200000', 'expected the dead-letter retention on dlq.*');
  assert.is(configOf(names[0] as string, 'compression.type'), 'zstd', 'expected the configured compression');

  const again = await createTopics(admin, names, { ...settings, partitions: 6 });
  assert.equal(again.map((r) => r.status), ['exists', 'exists'], 'expected existing topics reported, not an error');
  assert.match(again[0]?.note ?? '', 'left unchanged', 'expected a note that fewer partitions exist than configured');
});

test('bridge topics create covers every topic of the design and is idempotent', async () => {
  await bridge('topics', 'create');
  const run = await bridge('topics', 'create');
  assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
  assert.match(run.stdout, `0 created, ${allTopics().length} already existed`, 'expected the second run to find every topic');
  const existing = new Set(await admin.listTopics());
  for (const topic of allTopics()) assert.ok(existing.has(topic), `expected ${topic} to exist`);
});

test.run();
