import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { changelogConfig, type DeliveryMode } from '../../src/streams/index.ts';
import { WindowCursor } from '../../src/streams/state/windowed-bytes.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { oneWindow } from './streams-state-counts.ts';
import { follow, produce, readAll, startWorker, stopWorker, waitUntil, type Seen } from './streams-support.ts';

const { ConfigResourceTypes } = kafkajs;
const worker = fileURLToPath(new URL('./streams-state-worker.ts', import.meta.url));
const keys = 30;
const perKey = 100;
const total = keys * perKey;
const killAt = [600, 1_800]; // distinct running counts seen before each SIGKILL

interface Worker {
  child: ChildProcess;
  /** Records restored per partition (summed over restores), from the worker's restore lines. */
  restored: Map<number, number>;
}

function start(env: Record<string, string>): Worker {
  const child = startWorker(worker, env);
  const restored = new Map<number, number>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as { restored: number; records: number };
    // Summed: a partition restored again in the same process (after a rebalance, from its own
    // checkpoint) reports 0 and must not hide the restore after the kill.
    restored.set(event.restored, (restored.get(event.restored) ?? 0) + event.records);
  });
  return { child, restored };
}

const stop = stopWorker;

interface RunResult {
  outputs: Seen[];
  changelog: Seen[];
  /** The changelog topic's settings of those `changelogConfig` names. */
  changelogSettings: Record<string, string | undefined>;
  changelogPartitions: number;
  /** Records restored by the last start, which followed a graceful stop. */
  restoredAfterCleanStop: number;
  /**
   * Records restored by each start after a kill. One kill can land just after LMDB took every
   * change (the stage idle between the producer's paced batches, the flush every 100 ms), leaving
   * nothing to restore; across the kills, the tail is restored.
   */
  restoredAfterKills: number[];
}

async function stateRun(delivery: DeliveryMode, stateDir?: string, flushMs?: number, store: 'key-value' | 'window' = 'key-value'): Promise<RunResult> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique(`state-${store}-${delivery}`);
  const input = `${name}.in`;
  const output = `${name}.out`;
  const changelogTopic = `bridge.${name}-counts-changelog`;
  await createTopics(admin, [input, output, `dlq.${name}`], 2);
  // One instance id across restarts (static membership): a restart restores and resumes at once.
  const env: Record<string, string> = { STREAMS_NAME: name, STREAMS_INPUT: input, STREAMS_OUTPUT: output, STREAMS_DELIVERY: delivery, STREAMS_BROKERS: config.KAFKA_BROKERS.join(','), STREAMS_INSTANCE_ID: `${name}-0` };
  if (stateDir) env.STREAMS_STATE_DIR = stateDir;
  if (flushMs !== undefined) env.STREAMS_STATE_FLUSH_MS = String(flushMs);
  if (store === 'window') env.STREAMS_STORE = 'window';
  const followed: Seen[] = [];
  const follower = await follow(kafka, output, delivery === 'at-least-once', followed);
  const distinct = () => new Set(followed.map((s) => `${s.key}=${s.value}`)).size;
  let current = start(env);
  const afterKills: Array<ReturnType<typeof start>> = [];
  try {
    const producing = (async () => {
      for (let n = 0; n < perKey; n += 10) {
        await produce(kafka, input, Array.from({ length: 10 * keys }, (_, i) => ({ key: `k${i % keys}`, value: '1' })));
        await new Promise((resolve) => setTimeout(resolve, 100)); // pacing the producer, not synchronising
      }
    })();
    for (const threshold of killAt) {
      await waitUntil(() => distinct() >= threshold, 90_000, () => `${distinct()} distinct counts, waiting for ${threshold}`);
      await stop(current.child, 'SIGKILL');
      current = start(env);
      afterKills.push(current);
    }
    await producing;
    await waitUntil(() => distinct() >= total, 120_000, () => `${distinct()} of ${total} distinct counts`);
    const restoredAfterKills = afterKills.map((run) => [...run.restored.values()].reduce((a, b) => a + b, 0));
    await stop(current.child, 'SIGTERM');
    // A clean stop leaves checkpoints: the next start restores only what it did not write itself.
    current = start(env);
    await produce(kafka, input, Array.from({ length: keys }, (_, i) => ({ key: `k${i}`, value: '1' })));
    await waitUntil(() => distinct() >= total + keys, 90_000, () => `${distinct()} of ${total + keys} distinct counts`);
    const restoredAfterCleanStop = [...current.restored.values()].reduce((a, b) => a + b, 0);
    await stop(current.child, 'SIGTERM');
    await follower.disconnect();
    const outputs = await readAll(kafka, output, { readUncommitted: delivery === 'at-least-once' });
    const changelog = await readAll(kafka, changelogTopic);
    const [configs] = (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: changelogTopic, configNames: Object.keys(changelogConfig) }] })).resources;
    const changelogSettings = Object.fromEntries(Object.keys(changelogConfig).map((name) => [name, configs?.configEntries.find((c) => c.configName === name)?.configValue]));
    const changelogPartitions = (await admin.fetchTopicOffsets(changelogTopic)).length;
    return { outputs, changelog, changelogSettings, changelogPartitions, restoredAfterCleanStop, restoredAfterKills };
  } finally {
    await stop(current.child, 'SIGKILL');
    await follower.disconnect();
    await admin.deleteTopics({ topics: [input, output, `dlq.${name}`, changelogTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** The latest value per key, as a compacted changelog keeps it (markers left out), read by `read`. */
function latest(changelog: readonly Seen[], read: (record: Seen) => string = (record) => record.value): Map<string, string> {
  const values = new Map<string, string>();
  for (const record of changelog) if (!record.headers['bridge-state-marker']) values.set(record.key, read(record));
  return values;
}

/** The count a window store's changelog value holds (the worker's one window, folded in place). */
function windowCount(record: Seen): string {
  const scan = new WindowCursor(oneWindow, record.raw);
  return scan.next() ? String(scan.view.getUint32(scan.at, true)) : 'none';
}

function countsPerKey(outputs: readonly Seen[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const o of outputs) byKey.set(o.key, [...(byKey.get(o.key) ?? []), o.value]);
  return byKey;
}

const expected = Array.from({ length: perKey + 1 }, (_, i) => String(i + 1));
const lmdbDir = await mkdtemp(join(tmpdir(), 'streams-state-'));
// LMDB takes the held writes every 100 ms: each kill loses some, which the restore replays.
const runs = { 'at-least-once': stateRun('at-least-once'), 'exactly-once': stateRun('exactly-once', lmdbDir, 100), window: stateRun('at-least-once', join(lmdbDir, 'window'), 100, 'window') };
for (const run of Object.values(runs)) run.catch(() => undefined);

test('at-least-once (memory stores) under SIGKILL: every key counted exactly, no count skipped or repeated in the store', async () => {
  const { outputs, changelog, restoredAfterKills } = await runs['at-least-once'];
  const stored = latest(changelog);
  const wrong = [...Array(keys).keys()].map((i) => `k${i}`).filter((key) => stored.get(key) !== String(perKey + 1));
  assert.equal(wrong, [], `every key's count in the changelog is ${perKey + 1}`);
  for (const [key, values] of countsPerKey(outputs)) {
    assert.equal([...new Set(values)].sort((a, b) => Number(a) - Number(b)), expected, `${key}: running counts 1..${perKey + 1} (a double count would skip one)`);
  }
  assert.ok(restoredAfterKills.every((n) => n > 0), `after each kill the memory stores were restored from the changelog (${restoredAfterKills.join(', ')} records)`);
});

test('exactly-once (LMDB stores) under SIGKILL: every key counted exactly, each running count output once', async () => {
  const { outputs, changelog, restoredAfterCleanStop, restoredAfterKills } = await runs['exactly-once'];
  const stored = latest(changelog);
  const wrong = [...Array(keys).keys()].map((i) => `k${i}`).filter((key) => stored.get(key) !== String(perKey + 1));
  assert.equal(wrong, [], `every key's count in the changelog is ${perKey + 1}`);
  assert.is(outputs.length, total + keys, 'one committed output per input');
  for (const [key, values] of countsPerKey(outputs)) assert.equal(values, expected, `${key}: running counts 1..${perKey + 1} in order, once each`);
  assert.is(restoredAfterCleanStop, 0, 'after a clean stop LMDB kept the state: nothing to restore from the changelog');
  // Each kill came after hundreds to some 1,800 counts (and their markers) were in the changelog; LMDB's
  // checkpoint, flushed with the data every 100 ms, leaves the changes since the last flush and the
  // chunks after it (the producer writes some 300 records per 100 ms) to read.
  assert.ok(restoredAfterKills.some((n) => n > 0) && restoredAfterKills.every((n) => n <= 900), `after a SIGKILL LMDB restored only the changelog's tail (${restoredAfterKills.join(', ')} records)`);
});

test('a window store folded in place (at-least-once, LMDB) under SIGKILL: every key counted exactly, no count skipped or repeated in the store', async () => {
  const { outputs, changelog, restoredAfterKills } = await runs.window;
  const stored = latest(changelog, windowCount);
  const wrong = [...Array(keys).keys()].map((i) => `k${i}`).filter((key) => stored.get(key) !== String(perKey + 1));
  assert.equal(wrong, [], `every key's count in the changelog's ring is ${perKey + 1}`);
  for (const [key, values] of countsPerKey(outputs)) {
    assert.equal([...new Set(values)].sort((a, b) => Number(a) - Number(b)), expected, `${key}: running counts 1..${perKey + 1} (a double count would skip one)`);
  }
  assert.ok(restoredAfterKills.some((n) => n > 0), `after the kills LMDB restored the changelog's tail (${restoredAfterKills.join(', ')} records)`);
});

test('changelogs are compacted, in segments the cleaner reaches within minutes, with one partition per input partition', async () => {
  for (const run of Object.values(runs)) {
    const { changelogSettings, changelogPartitions } = await run;
    assert.equal(changelogSettings, { 'cleanup.policy': 'compact', 'segment.ms': '600000', 'segment.bytes': '52428800' }, 'settings of the changelog');
    assert.is(changelogPartitions, 2, 'as many partitions as the input');
  }
  await rm(lmdbDir, { recursive: true, force: true });
});

test.run();
