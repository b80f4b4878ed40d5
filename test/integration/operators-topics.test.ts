import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs, { type Admin } from 'kafkajs';
import { config, kafkaClient, unique } from '../support/services.ts';
import { createTopics, topicMessageLimits } from '../../src/operators/topics-create.ts';
import { rawTopicMessageBytes, topicMessageBytes } from '../../src/topic-limits.ts';
import { allTopics, rawTopic } from '../../src/topics.ts';
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
    resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'compression.type', 'max.message.bytes'] })),
  });
  const configOf = (name: string, key: string) =>
    resources.find((r) => r.resourceName === name)?.configEntries.find((e) => e.configName === key)?.configValue;
  assert.is(configOf(names[0] as string, 'retention.ms'), '3600000', 'expected the configured retention');
  assert.is(configOf(names[1] as string, 'retention.ms'), '7200000', 'expected the dead-letter retention on dlq.*');
  assert.is(configOf(names[0] as string, 'compression.type'), 'zstd', 'expected the configured compression');
  assert.is(configOf(names[0] as string, 'max.message.bytes'), '2100000', 'expected the record limit given for the topic');
  assert.is(configOf(names[1] as string, 'max.message.bytes'), '2200000', 'expected the larger dead-letter record limit on dlq.*');
  assert.equal(first.map((r) => r.maxMessageBytes), [2_100_000, 2_200_000], 'expected the limits in the report');

  const again = await createTopics(admin, names, { ...settings, partitions: 6 });
  assert.equal(again.map((r) => r.status), ['exists', 'exists'], 'expected existing topics reported, not an error');
  assert.match(again[0]?.note ?? '', 'left unchanged', 'expected a note that fewer partitions exist than configured');
});

test('an existing topic whose record limit is too small has it raised, keeping its other settings and partitions', async () => {
  const topic = unique('topics-small');
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '5000000' }, { name: 'max.message.bytes', value: '50000' }] }],
  });
  const [report] = await createTopics(admin, [topic], settings);
  assert.is(report?.status, 'exists', 'expected the topic reported as existing');
  assert.is(report?.maxMessageBytes, 2_100_000, 'expected the raised limit in the report');
  assert.match(report?.note ?? '', 'max.message.bytes raised from 50000 to 2100000', 'expected a note saying what changed');
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms', 'max.message.bytes'] }],
  });
  const configOf = (key: string) => resources[0]?.configEntries.find((e) => e.configName === key)?.configValue;
  assert.is(configOf('max.message.bytes'), '2100000', 'expected the broker to hold the raised limit');
  assert.is(configOf('retention.ms'), '5000000', 'expected the topic\'s own retention kept, not reset');
  assert.is(report?.partitions, 2, 'expected its partitions left as they were');

  const [again] = await createTopics(admin, [topic], settings);
  assert.not.match(again?.note ?? '', 'max.message.bytes', 'expected the limit left alone on a second run');
});

test('bridge topics create covers every topic of the design and is idempotent', async () => {
  await bridge('topics', 'create');
  const run = await bridge('topics', 'create');
  assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
  assert.match(run.stdout, `0 created, ${allTopics().length} already existed`, 'expected the second run to find every topic');
  const existing = new Set(await admin.listTopics());
  for (const topic of allTopics()) assert.ok(existing.has(topic), `expected ${topic} to exist`);
  const limits = await topicMessageLimits(admin, allTopics());
  for (const topic of allTopics()) {
    assert.ok((limits.get(topic) ?? 0) >= topicMessageBytes(config.INGRESS_MAX_BODY_BYTES, topic), `expected ${topic} to hold a body of INGRESS_MAX_BODY_BYTES (has ${limits.get(topic)})`);
  }
  assert.ok((limits.get(rawTopic('whoop')) ?? 0) >= rawTopicMessageBytes(config.INGRESS_MAX_BODY_BYTES), 'expected the raw topics to pass the ingress start-up check');
});

test.run();
