import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka } from 'kafkajs';
import { createLogger } from '../../src/obs/logger.ts';
import { lmdbBackend, runTopology, type RunningTopology } from '../../src/streams/index.ts';
import { logLines } from '../support/log-lines.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { bridge } from './operators-cli.ts';
import { committedTotal, countingTopology, follow, produce, waitUntil, type Seen } from './streams-support.ts';

// A stage with state moved back over records it has processed. Its state's changelog says it
// holds them (the input-offset marker), so it skips them without outputs: right after a crash,
// a silent loss after a deliberate reset. `bridge replay --group` refuses such a move unless
// --reset-state deletes the changelog, and the stage then counts the range again from zero.

interface Counted {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly group: string;
  readonly input: string;
  readonly changelog: string;
  /** Before the first record's timestamp. */
  readonly from: string;
  /** Every output record so far (read uncommitted, in order per partition). */
  readonly seen: Seen[];
  /** Runs the counting stage on the same LMDB directory each time, as a deployment's STATE_DIR. */
  run(log?: ReturnType<typeof createLogger>): Promise<RunningTopology>;
  remove(): Promise<void>;
}

/** A counting stage's names (countingTopology): its group, topics and changelog. */
function stageNames(prefix: string) {
  const name = unique(prefix);
  const group = `bridge.${name}`;
  return { name, group, input: `${name}.in`, output: `${name}.out`, changelog: `${group}-counts-changelog` };
}

async function connectedAdmin(): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  return { kafka, admin };
}

/** A counting stage that has counted 30 records of 10 keys (3 each) over 2 partitions and stopped cleanly. */
async function countedOnce(prefix: string): Promise<Counted> {
  const { kafka, admin } = await connectedAdmin();
  const { name, group, input, output, changelog } = stageNames(prefix);
  const topics = [input, output, `dlq.${name}`];
  const dir = await mkdtemp(join(tmpdir(), 'state-reset-'));
  await createTopics(admin, topics, 2);
  const seen: Seen[] = [];
  const follower = await follow(kafka, output, true, seen);
  const run = (log?: ReturnType<typeof createLogger>) => runTopology(countingTopology(name, [input]), { kafka, stateBackend: lmdbBackend(dir), commitIntervalMs: 0, ...(log ? { log } : {}) });
  const remove = async () => {
    await follower.disconnect();
    await admin.deleteTopics({ topics: [...topics, changelog] }).catch(() => undefined);
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const from = new Date(Date.now() - 1_000).toISOString();
    await produce(kafka, input, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 10}`, value: '1' })));
    const first = await run();
    await waitUntil(() => seen.length >= 30, 60_000, () => `${seen.length} of 30 counts`);
    await first.stop();
    assert.is(await committedTotal(kafka, group, input), 30, 'the first run committed every record');
    return { kafka, admin, group, input, changelog, from, seen, run, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

test('moved back: refused without --reset-state; with it the stage counts the range again from zero', async () => {
  const counted = await countedOnce('state-reset');
  const { kafka, admin, group, input, changelog, from, seen } = counted;
  try {
    const refused = await bridge('replay', '--group', group, '--to-datetime', from);
    assert.is(refused.code, 64, `expected exit 64, got ${refused.code}: ${refused.stdout} ${refused.stderr}`);
    assert.match(refused.stderr, changelog, 'the refusal names the changelog');
    assert.match(refused.stderr, '--reset-state', 'and says what to add');
    assert.is(await committedTotal(kafka, group, input), 30, 'a refusal moves nothing');

    const dry = await bridge('replay', '--group', group, '--to-datetime', from, '--reset-state', '--dry-run');
    assert.is(dry.code, 0, `expected exit 0: ${dry.stderr}`);
    assert.match(dry.stdout, `would delete changelog ${changelog}`);
    assert.ok((await admin.listTopics()).includes(changelog), 'a dry run deletes nothing');

    const reset = await bridge('replay', '--group', group, '--to-datetime', from, '--reset-state');
    assert.is(reset.code, 0, `expected exit 0: ${reset.stderr}`);
    assert.match(reset.stdout, `deleted changelog ${changelog}`);
    assert.match(reset.stdout, `$STATE_DIR/${group}`, 'the operator is told about local state');
    assert.not.ok((await admin.listTopics()).includes(changelog), 'the changelog is gone');
    assert.is(await committedTotal(kafka, group, input), 0, 'the group starts over');

    // The same LMDB directory, not removed: its checkpoint lies past the new changelog's end, so the stage clears it.
    const second = await counted.run();
    await waitUntil(() => seen.length >= 60, 60_000, () => `${seen.length} of 60 counts`);
    await second.stop();
    const perKey = new Map<string, string[]>();
    for (const s of seen) perKey.set(s.key, [...(perKey.get(s.key) ?? []), s.value]);
    for (let k = 0; k < 10; k += 1) assert.equal(perKey.get(`k${k}`), ['1', '2', '3', '1', '2', '3'], `k${k} counted again from zero, every record's output written again`);
  } finally {
    await counted.remove();
  }
});

test('moved back by other tools (offsets set directly): the stage skips what its state holds and says so', async () => {
  const counted = await countedOnce('state-skip');
  const { kafka, admin, group, input, seen } = counted;
  try {
    for (const partition of [0, 1]) await admin.setOffsets({ groupId: group, topic: input, partitions: [{ partition, offset: '0' }] });
    const { lines, destination } = logLines();
    const second = await counted.run(createLogger({ level: 'info' }, destination));
    await waitUntil(async () => (await committedTotal(kafka, group, input)) >= 30, 60_000, () => 'the second run committing the 30 records again');
    await second.stop();
    assert.is(seen.length, 30, 'no output written again');
    const skipped = lines
      .map((line) => JSON.parse(line) as { msg: string; skipped?: number })
      .filter((line) => line.msg.startsWith('skipped records the state stores already hold'))
      .reduce((sum, line) => sum + (line.skipped ?? 0), 0);
    assert.is(skipped, 30, 'every skipped record is in a log line');
  } finally {
    await counted.remove();
  }
});

test("--reset-state deletes the group's changelogs only, not those of a group whose id extends it", async () => {
  const { kafka, admin } = await connectedAdmin();
  const { group, input, changelog: own } = stageNames('state-own');
  const other = `${group}-x-counts-changelog`;
  try {
    await createTopics(admin, [input, own, other], 1);
    await produce(kafka, input, Array.from({ length: 4 }, (_, i) => ({ key: 'k', value: String(i) })));
    await admin.setOffsets({ groupId: group, topic: input, partitions: [{ partition: 0, offset: '4' }] });
    await admin.setOffsets({ groupId: `${group}-x`, topic: input, partitions: [{ partition: 0, offset: '4' }] });
    const run = await bridge('replay', '--group', group, '--to-datetime', new Date(Date.now() - 60_000).toISOString(), '--reset-state');
    assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
    assert.match(run.stdout, `deleted changelog ${own}`);
    const topics = await admin.listTopics();
    assert.not.ok(topics.includes(own), "the group's changelog is gone");
    assert.ok(topics.includes(other), `${group}-x's changelog stays`);
  } finally {
    await admin.deleteTopics({ topics: [input, own, other] }).catch(() => undefined);
    await admin.deleteGroups([group, `${group}-x`]).catch(() => undefined);
    await admin.disconnect();
  }
});

test('moving a stage with state forward keeps its changelog and needs no flag', async () => {
  const { kafka, admin } = await connectedAdmin();
  const { group, input, changelog } = stageNames('state-forward');
  try {
    await createTopics(admin, [input, changelog], 1);
    await produce(kafka, input, Array.from({ length: 4 }, (_, i) => ({ key: 'k', value: String(i) })));
    await admin.setOffsets({ groupId: group, topic: input, partitions: [{ partition: 0, offset: '1' }] });
    const run = await bridge('replay', '--group', group, '--to-datetime', new Date(Date.now() + 60_000).toISOString());
    assert.is(run.code, 0, `expected exit 0: ${run.stderr}`);
    assert.match(run.stdout, `${input}/0: 1 -> 4`, 'moved to the end: no record at or after a later time');
    assert.ok((await admin.listTopics()).includes(changelog), 'the changelog stays');
  } finally {
    await admin.deleteTopics({ topics: [input, changelog] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
