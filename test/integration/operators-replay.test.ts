import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { createTopics, kafkaClient, unique, testConsumer } from '../support/services.ts';
import { bridge, readTopic } from './operators-cli.ts';

const kafka: Kafka = kafkaClient();
let admin: Admin;
let producer: Producer;

test.before(async () => {
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true });
  await Promise.all([admin.connect(), producer.connect()]);
});

test.after(async () => {
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

/** Writes `count` keyed records per partition with the given timestamps, in order. */
async function seed(topic: string, partitions: number, timestamps: number[]): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await producer.send({
      topic,
      messages: timestamps.map((ts, i) => ({
        partition: p,
        key: `user-${p}`,
        value: `p${p}-r${i}`,
        timestamp: String(ts),
        headers: { 'x-request-id': `req-${p}-${i}` },
      })),
    });
  }
}

const base = Date.parse('2025-03-01T00:00:00Z');
const minute = 60_000;

test('copies a time window with keys, headers and order kept and replayed-from added', async () => {
  const from = unique('replay-src');
  const to = unique('replay-dst');
  await createTopics(admin, [from, to], 2);
  await seed(from, 2, [0, 1, 2, 3, 4].map((i) => base + i * minute));

  const run = await bridge(
    'replay', '--from-topic', from, '--to-topic', to,
    '--start', new Date(base + minute).toISOString(), '--end', new Date(base + 4 * minute).toISOString(), '--rate', '1000',
  );
  assert.is(run.code, 0, `expected exit 0, got ${run.code}: ${run.stderr}`);
  assert.match(run.stdout, `copied 6 record(s) from ${from} to ${to}`, 'expected 3 records per partition copied');

  const copied = await readTopic(kafka, to, 6);
  for (const p of [0, 1]) {
    const mine = copied.filter((m) => m.partition === p);
    assert.equal(mine.map((m) => String(m.value)), [`p${p}-r1`, `p${p}-r2`, `p${p}-r3`], `expected records 1..3 of partition ${p} in order`);
    assert.ok(mine.every((m) => String(m.key) === `user-${p}`), 'expected keys kept');
    assert.is(String(mine[0]?.headers?.['x-request-id']), `req-${p}-1`, 'expected original headers kept');
    assert.is(String(mine[0]?.headers?.['replayed-from']), `${from}/${p}/1`, 'expected replayed-from topic/partition/offset');
  }
  const plain = await bridge('replay', '--from-topic', from, '--to-topic', to, '--offsets', '0:0-1', '--dry-run');
  assert.not.match(plain.stderr, '\r', 'expected no terminal redraws when output is not a terminal');
});

test('offset ranges and --dry-run: counts per partition, nothing moves', async () => {
  const from = unique('replay-src');
  const to = unique('replay-dst');
  await createTopics(admin, [from, to], 2);
  await seed(from, 2, [0, 1, 2, 3].map((i) => base + i * minute));

  const dry = await bridge('replay', '--from-topic', from, '--to-topic', to, '--offsets', '0:1-3,1:0-4', '--dry-run');
  assert.is(dry.code, 0, `expected exit 0, got ${dry.code}: ${dry.stderr}`);
  assert.match(dry.stdout, `${from}/0: offsets 1..3 (2 record(s))`, 'expected partition 0 range shown');
  assert.match(dry.stdout, `${from}/1: offsets 0..4 (4 record(s))`, 'expected partition 1 range shown');
  assert.match(dry.stdout, 'would copy 6 record(s)', 'expected the total');
  const after = await admin.fetchTopicOffsets(to);
  assert.ok(after.every((p) => p.high === '0'), 'expected nothing written by a dry run');

  const real = await bridge('replay', '--from-topic', from, '--to-topic', to, '--offsets', '0:1-3');
  assert.is(real.code, 0, `expected exit 0: ${real.stderr}`);
  const copied = await readTopic(kafka, to, 2);
  assert.equal(copied.map((m) => String(m.value)), ['p0-r1', 'p0-r2'], 'expected offsets 1 and 2 of partition 0');
});

test('refuses an unknown topic with exit 66', async () => {
  const to = unique('replay-dst');
  await createTopics(admin, [to]);
  const missing = unique('no-such-topic');
  const run = await bridge('replay', '--from-topic', missing, '--to-topic', to);
  assert.is(run.code, 66, `expected exit 66, got ${run.code}`);
  assert.match(run.stderr, `unknown topic "${missing}"`, 'expected the missing topic named');
});

test('refuses --reset-state on a copy with exit 64, before asking any broker', async () => {
  const run = await bridge('replay', '--from-topic', 'a', '--to-topic', 'b', '--reset-state');
  assert.is(run.code, 64, `expected exit 64, got ${run.code}`);
  assert.match(run.stderr, '--reset-state goes with --group', 'expected the reason');
});

test('refuses an end before the start with exit 64', async () => {
  const run = await bridge('replay', '--from-topic', 'a', '--to-topic', 'b', '--start', '2025-03-02T00:00:00Z', '--end', '2025-03-01T00:00:00Z');
  assert.is(run.code, 64, `expected exit 64, got ${run.code}`);
  assert.match(run.stderr, 'is before --start', 'expected the reason');
});

async function committedGroup(topic: string, group: string): Promise<void> {
  await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '4' }] });
}

test('resets a stopped group to a time, printing old and new offsets', async () => {
  const topic = unique('reset-src');
  const group = unique('bridge.test');
  await createTopics(admin, [topic], 1);
  await seed(topic, 1, [0, 1, 2, 3].map((i) => base + i * minute));
  await committedGroup(topic, group);

  const at = new Date(base + 2 * minute).toISOString();
  const dry = await bridge('replay', '--group', group, '--to-datetime', at, '--dry-run');
  assert.is(dry.code, 0, `expected exit 0: ${dry.stderr}`);
  assert.match(dry.stdout, `${topic}/0: 4 -> 2`, `expected old and new offsets, got: ${dry.stdout} ${dry.stderr}`);
  const unchanged = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  assert.is(unchanged[0]?.partitions[0]?.offset, '4', 'expected a dry run to leave the offset');

  const run = await bridge('replay', '--group', group, '--to-datetime', at);
  assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
  const moved = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  assert.is(moved[0]?.partitions[0]?.offset, '2', 'expected the group moved to the first record at the time');
});

test('refuses to reset a group with active members, exit 75', async () => {
  const topic = unique('reset-src');
  const group = unique('bridge.test');
  await createTopics(admin, [topic], 1);
  const consumer = testConsumer(kafka, { groupId: group });
  await consumer.connect();
  try {
    let joined: () => void = () => undefined;
    const groupJoined = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await groupJoined;
    const run = await bridge('replay', '--group', group, '--to-datetime', '2025-03-01T00:00:00Z', '--topic', topic);
    assert.is(run.code, 75, `expected exit 75, got ${run.code}: ${run.stderr}`);
    assert.match(run.stderr, `group "${group}" has 1 active member(s)`, 'expected the active group named');
    assert.match(run.stderr, 'stop the stage first', 'expected what to do');
  } finally {
    await consumer.disconnect();
  }
});

test.run();
