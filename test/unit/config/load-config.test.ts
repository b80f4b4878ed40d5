import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ConfigError, deliveryFor, envSchema, loadConfig } from '../../../src/config/index.ts';

test('defaults point at the native stack', () => {
  const config = loadConfig({});
  assert.equal(config.KAFKA_BROKERS, ['127.0.0.1:19092'], 'native Kafka');
  assert.is(config.INGRESS_PORT, 8889, 'the seeds’ ingress port');
  assert.is(config.PG_POOL_MAX, 20, 'bounded pool of 20');
  assert.is(config.DELIVERY, 'at-least-once');
});

test('unknown variables are ignored, empty values fall back to defaults', () => {
  const config = loadConfig({ SOME_OTHER_TOOL_SETTING: 'x', INGRESS_PORT: '' });
  assert.is(config.INGRESS_PORT, 8889, 'empty INGRESS_PORT uses the default');
});

test('lists are split on commas and trimmed', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', OURA_WEBHOOK_SECRETS: 'new, old' });
  assert.equal(config.KAFKA_BROKERS, ['a:1', 'b:2']);
  assert.equal(config.OURA_WEBHOOK_SECRETS, ['new', 'old'], 'rotation order kept');
});

test('every bad value is reported on its own line, secrets never echoed', () => {
  try {
    loadConfig({ INGRESS_PORT: 'eighty', KAFKA_BROKERS: 'nohostport', DATABASE_URL: 'mysql://u:pw@h/db', DELIVERY: 'maybe' });
    assert.unreachable('invalid config must throw');
  } catch (error) {
    assert.instance(error, ConfigError);
    const problems = (error as ConfigError).problems;
    assert.is(problems.length, 4, `one line per bad variable: ${problems.join(' | ')}`);
    assert.ok(problems.some((p) => p.startsWith('INGRESS_PORT:') && p.includes('"eighty"')), 'names the variable and value');
    assert.ok(problems.some((p) => p.startsWith('KAFKA_BROKERS:') && p.includes('host:port')), 'says what to change');
    const dbLine = problems.find((p) => p.startsWith('DATABASE_URL:')) ?? '';
    assert.not.ok(dbLine.includes('pw'), 'a database URL may hold a password: never echoed');
  }
});

test('DELIVERY_<STAGE> overrides DELIVERY for one stage', () => {
  const config = loadConfig({ DELIVERY: 'at-least-once', DELIVERY_SINK: 'exactly-once' });
  assert.is(deliveryFor(config, 'sink'), 'exactly-once');
  assert.is(deliveryFor(config, 'verify'), 'at-least-once');
});

test('STAGE_PARTITION_CONCURRENCY: 12 partitions at once unless set, and a positive whole number', () => {
  assert.is(loadConfig({}).STAGE_PARTITION_CONCURRENCY, 12);
  assert.is(loadConfig({ STAGE_PARTITION_CONCURRENCY: '3' }).STAGE_PARTITION_CONCURRENCY, 3);
  for (const bad of ['0', '-1', '2.5', 'many']) {
    assert.throws(() => loadConfig({ STAGE_PARTITION_CONCURRENCY: bad }), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('STAGE_PARTITION_CONCURRENCY:')), bad);
  }
});

test('STATE_CACHE_KEYS: 20,000 keys per store partition unless set, and a positive whole number', () => {
  assert.is(loadConfig({}).STATE_CACHE_KEYS, 20_000);
  assert.is(loadConfig({ STATE_CACHE_KEYS: '250000' }).STATE_CACHE_KEYS, 250_000);
  for (const bad of ['0', '-5', '1.5', 'lots']) {
    assert.throws(() => loadConfig({ STATE_CACHE_KEYS: bad }), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('STATE_CACHE_KEYS:')), bad);
  }
});

test('KAFKA_GROUP_INSTANCE_ID: unset means dynamic membership; a name of plain characters is kept', () => {
  assert.is(loadConfig({}).KAFKA_GROUP_INSTANCE_ID, undefined, 'expected no static membership by default');
  assert.is(loadConfig({ KAFKA_GROUP_INSTANCE_ID: 'bridge-7f9c.pod_2' }).KAFKA_GROUP_INSTANCE_ID, 'bridge-7f9c.pod_2', 'expected the id kept');
  for (const bad of ['has space', 'a/b', 'x'.repeat(201)]) {
    assert.throws(() => loadConfig({ KAFKA_GROUP_INSTANCE_ID: bad }), (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('KAFKA_GROUP_INSTANCE_ID:')), bad);
  }
});

test('the README documents every variable the code reads', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const missing = Object.keys(envSchema.shape).filter((name) => !readme.includes(`\`${name}\``));
  assert.equal(missing, [], `README lacks: ${missing.join(', ')}`);
});

test.run();
