import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { changelogConfig, lmdbBackend } from '../../src/streams/index.ts';
import { reliableProducer } from '../../src/streams/producers.ts';
import { isMarkerKey, markerHeader, markerKey } from '../../src/streams/state/chunk-state.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { startWorker, stopWorker, waitUntil } from './streams-support.ts';

// A stage stopped while it restores a large changelog ends the restore and exits at once, as
// Kafka Streams does at shutdown, instead of reading the rest first (minutes for a large store,
// past an orchestrator's grace period). The next start goes on from the checkpoint the stopped
// restore left, and ends with every key's latest value.

const worker = fileURLToPath(new URL('./streams-state-worker.ts', import.meta.url));
/** Changelog entries: about six seconds of restore whole on a development machine. */
const entries = 4_000_000;
const keys = 100_000;
/** Keys deleted by the changelog's last chunk (tombstones): `user-0` … */
const deleted = 1_000;
/** Entries per chunk, each chunk ending with its input-offset marker, as a stage writes them. */
const chunkEntries = 20_000;
/** How long a stop may take, SIGTERM to exit, ms: the restore's end, the group left, LMDB closed. */
const stopBoundMs = 3_000;

interface Run {
  readonly child: ChildProcess;
  /** The worker's log lines, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Entries restored so far, from its progress lines. */
  restoring: number;
  /** Records of the finished restore, once it finished. */
  restored?: number;
}

function start(env: Record<string, string>): Run {
  const run: Run = { child: startWorker(worker, env), logs: [], restoring: 0 };
  createInterface({ input: run.child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed['msg'] === 'string') run.logs.push(parsed);
    else if (typeof parsed['restoring'] === 'number') run.restoring = parsed['entries'] as number;
    else if (typeof parsed['restored'] === 'number') run.restored = parsed['records'] as number;
  });
  return run;
}

/** Sends SIGTERM; answers the exit code and how long the process took to exit. */
async function stop(run: Run): Promise<{ code: number | null; ms: number }> {
  const began = Date.now();
  const exited = once(run.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  run.child.kill('SIGTERM');
  const [code] = await exited;
  return { code, ms: Date.now() - began };
}

const logged = (run: Run, message: string) => run.logs.filter((line) => String(line['msg']).startsWith(message));

test('SIGTERM during a restore: the stage exits at once, and the next start restores the rest exactly', async () => {
  await stopAndResume('chunks');
});

test('SIGTERM during the restore of a compacted changelog (one marker left, at its end): what was read is kept all the same', async () => {
  // Compaction keeps only the latest marker: a restore that waited for a marker held everything
  // in memory and, stopped, kept nothing, so each start began again from the changelog's start.
  await stopAndResume('compacted');
});

/**
 * Writes a changelog as the counting stage would (`chunks`: each chunk of `chunkEntries` with its
 * marker; `compacted`: as compaction leaves it, one marker after all entries), stops a restore of
 * it part way, then restores the rest.
 */
async function stopAndResume(shape: 'chunks' | 'compacted'): Promise<void> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-restore-stop');
  const group = `bridge.${name}`;
  const input = `${name}.in`;
  const output = `${name}.out`;
  const changelog = `${group}-counts-changelog`;
  const dir = await mkdtemp(join(tmpdir(), 'restore-stop-'));
  const env = { STREAMS_NAME: name, STREAMS_INPUT: input, STREAMS_OUTPUT: output, STREAMS_DELIVERY: 'at-least-once', STREAMS_BROKERS: config.KAFKA_BROKERS.join(','), STREAMS_STATE_DIR: dir, STREAMS_LOG_LEVEL: 'info', STREAMS_PRINT_RESTORING: '1' };
  const runs: Run[] = [];
  try {
    await createTopics(admin, [input, output, `dlq.${name}`]);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 1, configEntries: Object.entries(changelogConfig).map(([key, value]) => ({ name: key, value })) }] });
    // The changelog as the counting stage writes it, chunk by chunk, each chunk's marker last: entry
    // i sets user-(i mod keys) to i, and a last chunk deletes the first `deleted` users. Marker values
    // (input offsets covered) are 0: the input is empty, and nothing in it is to be skipped.
    const expected = new Map<string, string>();
    const producer = reliableProducer(kafka);
    await producer.connect();
    const marker = { key: markerKey(input), value: '0', headers: { [markerHeader]: 'input-offset' } };
    for (let i = 0; i < entries; i += chunkEntries) {
      const messages = Array.from({ length: Math.min(chunkEntries, entries - i) }, (_, j) => ({ key: `user-${(i + j) % keys}`, value: String(i + j) }));
      for (const { key, value } of messages) expected.set(key, value);
      await producer.send({ topic: changelog, acks: -1, messages: shape === 'chunks' ? [...messages, marker] : messages });
    }
    const tombstones = Array.from({ length: deleted }, (_, k) => ({ key: `user-${k}`, value: null }));
    for (const { key } of tombstones) expected.delete(key);
    await producer.send({ topic: changelog, acks: -1, messages: [...tombstones, marker] });
    await producer.disconnect();

    const first = start(env);
    runs.push(first);
    // Well into the restore (past its first markers, where it has them), and far from its end.
    await waitUntil(() => first.restoring >= 200_000, 60_000, () => `the first start restored ${first.restoring} entries`);
    const stopped = await stop(first);
    assert.is(stopped.code, 0, 'a stop during a restore is a normal stop');
    assert.ok(stopped.ms < stopBoundMs, `expected an exit within ${stopBoundMs} ms of SIGTERM, took ${stopped.ms} ms`);
    assert.is(first.restored, undefined, 'the restore did not run to its end');
    const [restoring] = logged(first, 'restoring state store');
    const total = restoring?.['records'] as number;
    assert.ok(total >= entries + deleted, `the first start had the whole changelog to restore: ${total}`);
    const said = logged(first, 'state store restore stopped');
    assert.is(said.length, 1, 'one line says the restore was stopped');
    const kept = said[0]!['restored'] as number;
    assert.equal({ level: said[0]!['level'], store: said[0]!['store'], partition: said[0]!['partition'], records: said[0]!['records'] }, { level: 30, store: 'counts', partition: 0, records: total }, 'at info, naming the store partition and its records');
    assert.ok(kept > 0 && kept < total, `with the entries kept so far: ${kept} of ${total}`);

    const second = start(env);
    runs.push(second);
    await waitUntil(() => second.restored !== undefined, 60_000, () => `the second start restored ${second.restoring} entries`);
    const [resumed] = logged(second, 'restoring state store');
    assert.is(resumed?.['fromCheckpoint'], true, 'the second start restores from the checkpoint the stopped restore left');
    assert.ok((resumed?.['records'] as number) <= total - kept, `only what the first did not keep: ${String(resumed?.['records'])} of ${total}, ${kept} kept`);
    const stoppedAgain = await stop(second);
    assert.is(stoppedAgain.code, 0, "the second start stops normally too");
    assert.ok(
      runs.every((run) => run.logs.every((line) => !JSON.stringify(line).includes('user-'))),
      'no log line names a key',
    );

    // What the stage holds locally, read once it exited: every key's latest value, nothing else.
    const storage = await lmdbBackend(dir).open(group, 'counts', 0);
    try {
      const held = new Map<string, string>();
      for (const entry of storage.entries()) if (!isMarkerKey(entry.key)) held.set(entry.key.toString(), entry.value.toString());
      assert.is(held.size, expected.size, `expected ${expected.size} keys (${deleted} of ${keys} deleted), found ${held.size}`);
      const wrong = [...expected].filter(([key, value]) => held.get(key) !== value);
      assert.is(wrong.length, 0, `every key holds its latest value; wrong: ${wrong.slice(0, 3).map(([key, value]) => `${key}=${held.get(key)} (expected ${value})`).join(', ')}`);
    } finally {
      await storage.close();
    }
  } finally {
    for (const run of runs) await stopWorker(run.child, 'SIGKILL');
    await admin.deleteTopics({ topics: [input, output, `dlq.${name}`, changelog] }).catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

test.run();
