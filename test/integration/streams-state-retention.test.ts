import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lmdbBackend, runTopology, StreamEvents, StreamsBuilder, serdes, type Windowed } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { produce, readAll, waitUntil } from './streams-support.ts';

const day = 86_400_000;

// The retention sweep on the real broker and LMDB: a user past retention is deleted by a
// tombstone on the changelog and in storage, and a restart (the same LMDB directory, restored
// from its checkpoint) does not bring them back.
test('a key past retention is deleted through the changelog and stays deleted after a restart', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-retention');
  const input = `${name}.in`;
  const topics = [input, `${name}.out`, `dlq.${name}`];
  const builder = new StreamsBuilder(name);
  const daily = builder.addWindowStore<string | null, number>({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: day, retentionMs: 3 * day } });
  builder
    .stream('in', { topics: [input], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum', async (value, record, ctx) => String(await ctx.store(daily).update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value)))
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  const topology = builder.build();
  const changelog = topology.stateStores[0]!.changelogTopic;
  const dir = await mkdtemp(join(tmpdir(), 'retention-'));
  const events = new StreamEvents();
  let processed = 0;
  let expired = 0;
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((n, c) => n + c, 0)));
  events.on('state-expired', (e) => (expired += e.count));
  // LMDB takes each chunk at once, so the sweep (which passes over what storage holds) sees the first users.
  const run = () => runTopology(topology, { kafka, events, stateBackend: lmdbBackend(dir, { intervalMs: 0 }), commitIntervalMs: 0 });
  const start = Date.now() - 30 * day;
  const at = (days: number) => String(start + days * day);
  try {
    await createTopics(admin, topics, 1);
    const first = await run();
    await produce(kafka, input, [
      { key: 'gone', value: '1', timestamp: at(0) },
      { key: 'stays', value: '2', timestamp: at(5) },
    ]);
    await waitUntil(() => processed >= 2, 60_000, () => `${processed} of 2 processed`);
    // Stream time 10 d: the horizon is 10 − 1 − 3 = 6 d. 'gone' (0 d) is past it, 'stays' (5 d) is not.
    for (let n = 0; n < 20 && expired === 0; n += 1) {
      await produce(kafka, input, Array.from({ length: 4 }, () => ({ key: 'now', value: '4', timestamp: at(10) })));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitUntil(() => expired >= 1, 30_000, () => `${expired} keys expired`);
    assert.is(expired, 1, 'one key expired');
    await first.stop();

    const entries = await readAll(kafka, changelog);
    const last = new Map(entries.filter((e) => !e.headers['bridge-state-marker']).map((e) => [e.key, e.raw]));
    assert.is(last.get('gone'), undefined, "the changelog's last record of the key is a tombstone");
    assert.ok(last.get('stays') instanceof Buffer, 'the other key keeps its value');

    const second = await run();
    const here = async (key: string): Promise<Windowed<number> | undefined> => {
      const answer = await second.queryStore('daily', key);
      if (answer.where !== 'here') throw new Error(`${key} is not held here`);
      return answer.value as Windowed<number> | undefined;
    };
    await waitUntil(async () => (await second.queryStore('daily', 'stays')).where === 'here', 30_000, () => 'the restarted stage holding the partition');
    assert.is(await here('gone'), undefined, 'a restart does not bring the key back');
    assert.equal((await here('stays'))?.windows.map(([, sum]) => sum), [2], 'the key within retention is restored');
    await second.stop();
  } finally {
    await admin.deleteTopics({ topics: [...topics, changelog] }).catch(() => undefined);
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
