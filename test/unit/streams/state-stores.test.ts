import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lmdbBackend, memoryBackend, RecordError, StreamEvents, StreamsBuilder, serdes, type InPlaceFold, type Topology, type WindowFold, type WindowScan, type WindowStore, type WindowStoreRef } from '../../../src/streams/index.ts';
import { WindowCursor } from '../../../src/streams/state/windowed-bytes.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import type { ChangelogEntry, ChangelogReader } from '../../../src/streams/state/changelog-reader.ts';
import type { StateBackend } from '../../../src/streams/state/backend.ts';
import { markerKey } from '../../../src/streams/state/chunk-state.ts';
import { StateStores, type StateStoresOptions } from '../../../src/streams/state/state-stores.ts';
import { StoreQueries } from '../../../src/streams/state/query.ts';
import type { Admin } from 'kafkajs';
import { writeBehind } from '../../../src/streams/state/write-behind.ts';
import { TopologyTestDriver } from '../../../src/streams/testing/index.ts';
import { addInPlace, float64Aggregate } from '../../support/float-aggregate.ts';
import { logLines } from '../../support/log-lines.ts';

const day = 86_400_000;

/** A changelog too large to read before a stop or a release: only the restore's signal ends the wait, rejecting with its reason. */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal?.aborted) reject(signal.reason);
    else signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** A reader of one changelog partition held as a list (read when asked, so it may grow), handing over all of it from where a restore starts. */
function wholeChangelog(records: readonly ChangelogEntry[]): ChangelogReader {
  return {
    offsets: async () => new Map([[0, { low: '0', high: String(records.length) }]]),
    restore: async (_topic, from, apply) => {
      const start = Number(from.get(0) ?? 0);
      if (start < records.length) await apply(0, records.slice(start), String(records.length));
    },
    close: async () => {},
  };
}

/** A chunk of one key's count as a changelog partition holds it: the entry, then its input-offset marker. */
function appendChunk(records: ChangelogEntry[], key: string, count: string, nextInput: string): void {
  records.push({ key: Buffer.from(key), value: Buffer.from(count), offset: String(records.length) }, { key: markerKey('in'), value: Buffer.from(nextInput), offset: String(records.length + 1) });
}

/** The counter's stores over `changelog`: in memory, silent, with their own events unless the test brings its own. */
function countStores(topology: Topology, changelog: ChangelogReader, options: Partial<StateStoresOptions> = {}): StateStores {
  return new StateStores({ topology: 'count', groupId: 'bridge.count', specs: topology.stateStores, backend: memoryBackend(), changelog, events: new StreamEvents(), log: createLogger({ level: 'silent' }), ...options });
}

/** Counts records per key in a store and writes the running count. */
function counter(failOn?: string) {
  const builder = new StreamsBuilder('count');
  const counts = builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.json<number>() });
  let failures = 0;
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .mapValues('count', async (value, record, ctx) => {
      const store = ctx.store(counts);
      const next = ((await store.get(record.key!)) ?? 0) + 1;
      await store.put(record.key!, next);
      if (value === 'poison') throw new RecordError('poison', 'never countable');
      if (value === failOn && failures++ === 0) throw new Error('transient');
      return String(next);
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  return { topology: builder.build(), counts };
}

test('a key-value store counts per key; later records of a chunk see earlier writes; the changelog carries them', async () => {
  const { topology, counts } = counter();
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.string());
  for (const key of ['a', 'b', 'a', 'a']) await input.queue({ key, value: 'x' });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => `${r.key}=${r.value}`), ['a=1', 'b=1', 'a=2', 'a=3'], 'running counts');
  const store = await driver.store(counts);
  assert.is(await store.get('a'), 3, 'committed count of a');
  assert.is(await store.get('b'), 1, 'committed count of b');
  const changelog = await driver.outputTopic('bridge.count-counts-changelog', serdes.string(), serdes.bytes()).readRecords();
  const entries = changelog.filter((r) => !r.headers['bridge-state-marker']).map((r) => `${r.key}=${r.value?.toString()}`);
  assert.equal(entries, ['a=3', 'b=1'], 'one changelog entry per key per chunk: the latest value');
  const markers = changelog.filter((r) => r.headers['bridge-state-marker'] === 'input-offset').map((r) => r.value?.toString());
  assert.equal(markers, ['4'], 'the chunk marks the input offset its changes cover');
});

test('records below the input offset the changelog already covers are skipped; from the first one not covered on, all run', async () => {
  const { topology, counts } = counter();
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.string());
  for (let i = 0; i < 4; i += 1) await input.queue({ key: 'a', value: 'x' });
  await driver.flush(); // offsets 0-3: the marker covers below 4
  // Offsets 2 and 3 again (a replay after a restart that never committed them), then 4 and 5.
  const raw = (offset: number) => ({ topic: 'in', partition: 0, offset: String(offset), timestamp: 0, key: Buffer.from('a'), value: Buffer.from('x'), headers: {} });
  for (const offset of [2, 3, 4, 5]) driver.queueRaw(raw(offset));
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['1', '2', '3', '4', '5', '6'], 'offsets 2 and 3 not counted twice; 4 and 5 counted');
  assert.is(await (await driver.store(counts)).get('a'), 6, 'committed count');
});

test('a retried record writes once; a dead-lettered record leaves no writes', async () => {
  const { topology, counts } = counter('flaky');
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.string());
  await input.pipe({ key: 'a', value: 'flaky' });
  await input.pipe({ key: 'a', value: 'poison' });
  await input.pipe({ key: 'a', value: 'x' });
  const store = await driver.store(counts);
  assert.is(await store.get('a'), 2, 'the retry counted once, the poison record not at all');
  assert.equal(driver.deadLetters().map((d) => d.reason), ['poison'], 'poison dead-lettered');
});

/** A window store summing values per day (size 1 d, grace 1 d, retention 3 d), its sums written out. */
function dailySums() {
  const builder = new StreamsBuilder('sums');
  const daily = builder.addWindowStore<string | null, number>({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: day, retentionMs: 3 * day } });
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum', async (value, record, ctx) => String(await ctx.store(daily).update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value)))
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  return { topology: builder.build(), daily };
}

test('window store: records within grace update their window, later ones are dropped and counted', async () => {
  const { topology, daily } = dailySums();
  const driver = new TopologyTestDriver(topology);
  let late = 0;
  let storageReads = 0;
  driver.events.on('late-dropped', (e) => (late += e.count));
  driver.events.on('state-storage-reads', (e) => (storageReads += e.count));
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'u', value: 1, timestamp: 10 * day + 5 });
  await input.pipe({ key: 'u', value: 2, timestamp: 11 * day + 5 });
  await input.pipe({ key: 'u', value: 4, timestamp: 10 * day + 9 }); // a day late: within grace
  await input.pipe({ key: 'u', value: 8, timestamp: 12 * day + 1 });
  await input.pipe({ key: 'u', value: 16, timestamp: 10 * day + 1 }); // window ended 2 days ago: past grace
  await input.pipe({ key: 'v', value: 32, timestamp: 10 * day + 1 }); // another key keeps its own event time
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['true', 'true', 'true', 'true', 'false', 'true'], 'accepted per record');
  assert.is(late, 1, 'one record dropped as late, counted');
  assert.is(storageReads, 2, 'each key read from storage once, on its first record (the cache holds it after)');
  const windows = await (await driver.store(daily)).fetch('u');
  assert.equal(windows.map((w) => [w.start / day, w.value]), [[10, 5], [11, 2], [12, 8]], 'late record within grace added, the one past grace not');
  await input.pipe({ key: 'u', value: 64, timestamp: 14 * day });
  const retained = await (await driver.store(daily)).fetch('u');
  assert.equal(retained.map((w) => w.start / day), [11, 12, 14], 'windows past retention are dropped');
});

test('window store: within one record, every view of the store reads what any of them wrote, key by key', async () => {
  const builder = new StreamsBuilder('windows');
  const daily = builder.addWindowStore<string | null, number>({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: day, retentionMs: 3 * day } });
  /** The key's window aggregates as stored (JSON numbers), or '-' for none. */
  const stored = async (store: WindowStore<string | null, number>, key: string) => {
    const seen: string[] = [];
    for (const scan = await store.scan(key); scan.next(); ) seen.push(scan.bytes.subarray(scan.at, scan.at + scan.length).toString());
    return seen.join('+') || '-';
  };
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum twice', async (value, record, ctx) => {
      const first = ctx.store(daily);
      const second = ctx.store(daily);
      const before = await stored(second, record.key!);
      await first.update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value);
      const afterFirst = await stored(second, record.key!);
      const other = await stored(first, 'other');
      await second.update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value);
      return `${before} ${afterFirst} ${await stored(first, record.key!)} ${other}`;
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'u', value: 1, timestamp: 10 * day });
  await input.pipe({ key: 'u', value: 2, timestamp: 10 * day + 1 });
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['- 1 2 -', '2 4 6 -'], 'each view saw the other view’s write of the same record, and the earlier record’s');
});

test('window store: a chunk that updates a key again and again reuses only its own buffers; committed values and a failed attempt’s write stay out', async () => {
  const builder = new StreamsBuilder('windows');
  const daily = builder.addWindowStore<string | null, number>({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: day, retentionMs: 3 * day } });
  let failures = 0;
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum', async (value, record, ctx) => {
      const store = ctx.store(daily);
      await store.update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value);
      // Written, then failed: the retry must not see this attempt's sum.
      if (value === 2 && failures++ === 0) throw new Error('transient');
      const windows = await store.fetch(record.key!);
      return windows.map((w) => w.value).join('+');
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  // One digit per sum: every new value is the length of the one before, so each can reuse a buffer.
  for (const value of [1, 1, 1]) await input.queue({ key: 'u', value, timestamp: 10 * day });
  await driver.flush();
  const committed = (await (await driver.store(daily)).scan('u')).bytes;
  const committedBefore = Buffer.from(committed);
  for (const value of [1, 2, 1, 1]) await input.queue({ key: 'u', value, timestamp: 10 * day + 1 });
  await input.queue({ key: 'u', value: 1, timestamp: 11 * day });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['1', '2', '3', '4', '6', '7', '8', '8+1'], 'each record saw the sums before it, the failed attempt’s not');
  assert.equal(committed, committedBefore, 'the value the first chunk committed was not written over by the second');
  const windows = await (await driver.store(daily)).fetch('u');
  assert.equal(windows.map((w) => [w.start / day, w.value]), [[10, 8], [11, 1]], 'the store holds the last sums');
  const changelog = await driver.outputTopic('bridge.windows-daily-changelog', serdes.string(), serdes.bytes()).readRecords();
  const values = changelog.filter((r) => !r.headers['bridge-state-marker']).map((r) => r.value!.length);
  assert.is(values.length, 2, 'one changelog entry per chunk for the key');
});

/**
 * A topology named `name` that folds each record's value into its key's day by `foldOf(value)`,
 * where the day lies in the store's ring, and answers with the key's windows' sums after it.
 * `afterFold` runs after the fold: a record it fails has folded already.
 */
function ringSums(name: string, foldOf: (value: number) => WindowFold<number>, afterFold?: (value: number) => void): { topology: Topology; daily: WindowStoreRef<string | null, number> } {
  const builder = new StreamsBuilder(name);
  const daily = builder.addWindowStore<string | null, number>({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: day, retentionMs: 3 * day }, aggregate: float64Aggregate });
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum', async (value, record, ctx) => {
      const store = ctx.store(daily);
      await store.update(record.key!, record.timestamp, foldOf(value));
      afterFold?.(value);
      return (await store.fetch(record.key!)).map((w) => w.value).join('+');
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  return { topology: builder.build(), daily };
}

test('window store folded in place: a failed attempt’s changes are put back, a dead-lettered record leaves none, and what a chunk committed stays while the next chunk folds', async () => {
  let failures = 0;
  const { topology, daily } = ringSums('rings', (value) => addInPlace(value), (value) => {
    // Folded in place, then failed: the retry and later records must not see this attempt's sum.
    if (value === 2 && failures++ === 0) throw new Error('transient');
    if (value === 100) throw new RecordError('too_much', 'dead-lettered after its fold');
  });
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  const committed: Buffer[] = [];
  const copies: Buffer[] = [];
  const chunks = [[1, 1, 1], [1, 2, 100, 1], [4], [8, 100]];
  for (const chunk of chunks) {
    for (const value of chunk) await input.queue({ key: 'u', value, timestamp: 10 * day + committed.length });
    await driver.flush();
    const n = committed.length;
    if (n > 0) assert.equal(committed[n - 1], copies[n - 1], `the value chunk ${n} committed was not written over by chunk ${n + 1}`);
    committed.push((await (await driver.store(daily)).scan('u')).bytes);
    copies.push(Buffer.from(committed[n]!));
  }
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['1', '2', '3', '4', '6', '7', '11', '19'], 'each record saw the sums before it; the failed attempt and the dead-lettered records added nothing');
  assert.is(driver.deadLetters().length, 2, 'both 100s dead-lettered');
  const changelog = await driver.outputTopic('bridge.rings-daily-changelog', serdes.string(), serdes.bytes()).readRecords();
  const sums = changelog.filter((r) => !r.headers['bridge-state-marker']).map((r) => new WindowCursor({ sizeMs: day, graceMs: day, retentionMs: 3 * day }, r.value!)).map((scan) => (scan.next() ? scan.view.getFloat64(scan.at, true) : undefined));
  assert.equal(sums, [3, 7, 11, 19], 'one changelog entry per chunk, each the sum its chunk committed');
  assert.equal(copies.map((bytes) => bytes[0]), [2, 2, 2, 2], 'each chunk committed a ring');
  assert.ok(committed[2] === committed[0] && committed[3] === committed[1], 'from the third chunk on, a chunk folds into the buffer the chunk before the last committed, which nothing holds any more');
  const windows = await (await driver.store(daily)).fetch('u');
  assert.equal(windows.map((w) => [w.start / day, w.value]), [[10, 19]], 'the store holds the last sum');
});

test('window store without grace: a record a little ahead of the clock is taken, one more than a window ahead is not', async () => {
  const builder = new StreamsBuilder('no-grace');
  const hourly = builder.addWindowStore<string | null, number>({ name: 'hourly', key: serdes.string(), windows: { sizeMs: 3_600_000, graceMs: 0, retentionMs: day } });
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<number>() })
    .mapValues('sum', async (value, record, ctx) => String(await ctx.store(hourly).update(record.key!, record.timestamp, (sum) => (sum ?? 0) + value)))
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build(), { now: () => 10 * day });
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'u', value: 1, timestamp: 10 * day + 5_000 }); // a clock five seconds ahead
  await input.pipe({ key: 'u', value: 1, timestamp: 10 * day + 2 * 3_600_000 }); // two windows ahead
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['true', 'false']);
});

test('window store: a scan from and to keeps the windows starting within them, in a ring and in the 0x01 layout', async () => {
  const startsOf = async (scan: WindowScan | Promise<WindowScan>) => {
    const days: number[] = [];
    for (const s = await scan; s.next(); ) days.push(s.start / day);
    return days;
  };
  for (const { topology, daily, layout } of [{ ...ringSums('ranged-ring', (value) => addInPlace(value)), layout: 'ring' }, { ...dailySums(), layout: '0x01' }]) {
    const driver = new TopologyTestDriver(topology, { now: () => 13 * day });
    const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
    for (const d of [10, 11, 12, 13]) await input.pipe({ key: 'u', value: d, timestamp: d * day + 5 });
    const store = (await driver.store(daily)) as WindowStore<string | null, number>;
    assert.equal(await startsOf(store.scan('u')), [10, 11, 12, 13], `${layout}: every retained window without bounds`);
    assert.equal(await startsOf(store.scan('u', 11 * day, 13 * day)), [11, 12], `${layout}: [from, to)`);
    assert.equal(await startsOf(store.scan('u', 11.5 * day, 12.5 * day)), [12], `${layout}: bounds between window starts`);
    assert.equal(await startsOf(store.scan('u', 20 * day)), [], `${layout}: from after every window`);
    assert.equal(await startsOf(store.scan('u', undefined, 10 * day)), [], `${layout}: to before every window`);
  }
});

test('window store folded in place: a record sees its key’s earlier writes of the chunk after the key cache let go of the key', async () => {
  const { topology, daily } = ringSums('evicting', (value) => addInPlace(value));
  // Two keys cached of five users: every user's key is let go of between its records.
  const driver = new TopologyTestDriver(topology, { stateCacheKeys: 2 });
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  const users = ['a', 'b', 'c', 'd', 'e'];
  for (let round = 1; round <= 3; round += 1) for (const user of users) await input.queue({ key: user, value: round, timestamp: 10 * day });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.filter((r) => r.key === 'c').map((r) => r.value), ['1', '3', '6'], 'each record of a user saw the ones before it in the chunk');
  assert.equal(out.map((r) => r.value), [...users.map(() => '1'), ...users.map(() => '3'), ...users.map(() => '6')]);
  for (const user of users) assert.equal((await (await driver.store(daily)).fetch(user)).map((w) => w.value), [6], `${user}: the store holds the sum`);
});

/** `sum + n` and a count, 16 bytes where they lie: another layout than `addInPlace`'s, whose sum it keeps when it moves a ring. */
function addCounted(n: number): InPlaceFold {
  return {
    fixedLength: 16,
    layout: 2,
    foldInPlace: (view, at, fresh) => {
      view.setFloat64(at, (fresh ? 0 : view.getFloat64(at, true)) + n, true);
      view.setFloat64(at + 8, (fresh ? 0 : view.getFloat64(at + 8, true)) + 1, true);
    },
    relayout: (from, fromAt, _length, view, at) => {
      view.setFloat64(at, from.getFloat64(fromAt, true), true);
      view.setFloat64(at + 8, 0, true);
    },
  };
}

test('window store folded in place: folds of two layouts on one key in one chunk each move the chunk’s ring to theirs', async () => {
  const { topology, daily } = ringSums('layouts', (value) => (value % 2 === 0 ? addCounted(value) : addInPlace(value)));
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  // Day 11 lies in slot 1, where the two layouts' slots begin at different offsets.
  for (const value of [1, 2, 4, 3, 5]) await input.queue({ key: 'u', value, timestamp: 11 * day });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['1', '3', '7', '10', '15'], 'each fold saw the sum before it, in either layout');
  assert.equal((await (await driver.store(daily)).scan('u')).length, 8, 'the chunk ended in the last fold’s layout');
});

test('window store: folds in place and folds by a function on one key in one chunk each see the one before', async () => {
  // Odd values fold in place, even ones by a function (which writes the 0x01 layout over the chunk's ring).
  const { topology, daily } = ringSums('mixed', (value) => (value % 2 === 1 ? addInPlace(value) : (sum: number | undefined) => (sum ?? 0) + value));
  const driver = new TopologyTestDriver(topology);
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  for (const value of [1, 3, 2, 5, 4, 6, 7]) await input.queue({ key: 'u', value, timestamp: 11 * day });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['1', '4', '6', '11', '15', '21', '28'], 'each fold saw the sum before it, whichever kind wrote it');
  assert.equal((await (await driver.store(daily)).fetch('u')).map((w) => w.value), [28], 'the store holds the last sum');
});

/** A changelog's values as written: a tombstone as null, else its length. */
const valueLengths = { name: 'lengths', serialize: () => null, deserialize: (data: Buffer | null) => (data === null ? null : data.length) };

test('retention sweep: a key whose latest event is past retention at the stream time is deleted, through the changelog', async () => {
  const { topology, daily } = dailySums();
  const driver = new TopologyTestDriver(topology, { now: () => 100 * day });
  let expired = 0;
  driver.events.on('state-expired', (e) => (expired += e.count));
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'gone', value: 1, timestamp: 10 * day + 5 });
  await input.pipe({ key: 'stays', value: 2, timestamp: 11 * day + 5 });
  // Stream time 14 d: the horizon is 14 − 1 − 3 = 10 d; 'gone' (10 d + 5 ms) is not past it yet.
  await input.pipe({ key: 'now', value: 4, timestamp: 14 * day });
  assert.is(expired, 0, 'nothing past retention yet');
  // Stream time 15 d: horizon 11 d. 'gone' is past it; 'stays' (11 d + 5 ms) is not. Each chunk
  // (one record here) looks at one key more, so a pass over the three keys takes a few chunks.
  for (let n = 0; n < 4; n += 1) await input.pipe({ key: 'now', value: 8, timestamp: 15 * day });
  assert.is(expired, 1, 'one key expired');
  const store = await driver.store(daily);
  assert.equal(await store.fetch('gone'), [], 'its windows are gone');
  assert.equal((await store.fetch('stays')).map((w) => w.value), [2], 'a key within retention keeps its windows');
  const changelog = await driver.outputTopic(topology.stateStores[0]!.changelogTopic, serdes.string(), valueLengths).readRecords();
  const last = new Map(changelog.map((r) => [r.key, r.value]));
  assert.is(last.get('gone'), null, 'the changelog ends the key with a tombstone, so a restore and compaction drop it too');
  assert.ok(typeof last.get('stays') === 'number', 'the other key keeps its value');
  // The key starts afresh when it comes back.
  await input.pipe({ key: 'gone', value: 16, timestamp: 15 * day + 1 });
  assert.equal((await (await driver.store(daily)).fetch('gone')).map((w) => [w.start / day, w.value]), [[15, 16]], 'a returning key starts from nothing');
  assert.equal((await (await driver.store(daily)).fetch('now')).map((w) => [w.start / day, w.value]), [[14, 4], [15, 32]], 'the key the chunks wrote is never expired');
});

test('retention sweep: a stream time ahead of the clock expires nothing past what the clock allows', async () => {
  const { topology } = dailySums();
  const driver = new TopologyTestDriver(topology, { now: () => 12 * day });
  let expired = 0;
  driver.events.on('state-expired', (e) => (expired += e.count));
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'a', value: 1, timestamp: 8.5 * day });
  // A device clock ahead by less than the grace period is taken: the horizon is the clock's 12 − 4 = 8 d, not 12.9 − 4.
  // Chunks of one record: enough of them for a pass over both keys after it.
  for (let n = 0; n < 4; n += 1) await input.pipe({ key: 'b', value: 1, timestamp: 12.9 * day });
  assert.is(expired, 0, 'no key expired by a timestamp from the future');
});

test('window store: a record further ahead of the clock than the grace period is dropped and counted, and its key goes on', async () => {
  const { topology, daily } = dailySums();
  const driver = new TopologyTestDriver(topology, { now: () => 12 * day });
  let late = 0;
  driver.events.on('late-dropped', (e) => (late += e.count));
  const input = driver.inputTopic('in', serdes.string(), serdes.json<number>());
  await input.pipe({ key: 'u', value: 1, timestamp: 365 * day }); // a device clock a year ahead
  await input.pipe({ key: 'u', value: 2, timestamp: 12 * day });
  await input.pipe({ key: 'u', value: 4, timestamp: 12.9 * day }); // ahead, within the grace period
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['false', 'true', 'true'], 'the record from the future dropped; the next ones added');
  assert.is(late, 1, 'counted as a dropped record');
  const windows = await (await driver.store(daily)).fetch('u');
  assert.equal(windows.map((w) => [w.start / day, w.value]), [[12, 6]], 'the key holds the days at the clock');
});

test('keysInTurn passes over every key in turn, in memory and in LMDB, and starts over', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'turn-'));
  try {
    // Every write reaches LMDB at once: the sweep passes over what storage holds, and held writes are the write-behind's test.
    for (const backend of [memoryBackend(), lmdbBackend(dir, { intervalMs: 0, maxEntries: 1 })]) {
      const storage = await backend.open('g', 's', 0);
      await storage.write(['a', 'b', 'c', 'd', 'e'].map((k) => ({ key: Buffer.from(k), value: Buffer.from('1') })), '7');
      const first = storage.keysInTurn(2).map(String);
      const second = storage.keysInTurn(2).map(String);
      const third = storage.keysInTurn(2).map(String);
      assert.equal([...first, ...second, ...third].sort(), ['a', 'b', 'c', 'd', 'e'], `${backend.kind}: one pass over every key, the checkpoint left out`);
      assert.is(third.length, 1, `${backend.kind}: the pass ends short`);
      assert.is(storage.keysInTurn(5).length, 5, `${backend.kind}: and the next starts over`);
      await storage.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('describe lists state stores with their changelog topics', () => {
  const { topology } = counter();
  const d = topology.describe();
  assert.equal(d.stateStores.map((s) => [s.name, s.kind, s.changelogTopic]), [['counts', 'key-value', 'bridge.count-counts-changelog']], 'store described');
  assert.match(d.toString(), 'State store: counts (key-value, changelog: bridge.count-counts-changelog; key: string, value: json)');
});

test("describe gives a window store's settings in the unit they are whole numbers of", () => {
  const builder = new StreamsBuilder('w');
  builder.addWindowStore({ name: 'daily', key: serdes.string(), windows: { sizeMs: day, graceMs: 90 * 60_000, retentionMs: 7 * day } });
  builder.addWindowStore({ name: 'odd', key: serdes.string(), windows: { sizeMs: 1_500, graceMs: 0, retentionMs: 3_000 } });
  builder.stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() }).to('o', { topic: 'o', key: serdes.string(), value: serdes.string() });
  const text = builder.build().describe().toString();
  assert.match(text, 'windows of 1 d, grace 90 min, retention 7 d)');
  assert.match(text, 'windows of 1500 ms, grace 0 ms, retention 3 s)');
});

test('state stores need records in order; window settings are checked', () => {
  const builder = new StreamsBuilder('x', { recordConcurrency: 4 });
  builder.addStateStore({ name: 's', key: serdes.string(), value: serdes.string() });
  builder.stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() }).to('o', { topic: 'o', key: serdes.string(), value: serdes.string() });
  assert.throws(() => builder.build(), /declares state stores, which need records in order/);
  const other = new StreamsBuilder('y');
  assert.throws(() => other.addWindowStore({ name: 'w', key: serdes.string(), windows: { sizeMs: day, graceMs: 2 * day, retentionMs: day } }), /retentionMs of window store "w" must be at least its graceMs/);
  assert.throws(() => other.addWindowStore({ name: 'm', key: serdes.string(), windows: { sizeMs: 1_000, graceMs: 0, retentionMs: 365 * day } }), /window store "m" would keep more than 65,535 windows per key/);
  other.addStateStore({ name: 'w', key: serdes.string(), value: serdes.string() });
  assert.throws(() => other.addStateStore({ name: 'w', key: serdes.string(), value: serdes.string() }), /already has a state store named "w"/);
});

test('LMDB storage keeps its data and the checkpoint written with it across a reopen, closed cleanly or not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'state-'));
  // Every write reaches LMDB at once here; what is held between flushes is the next test's.
  const everyWrite = { intervalMs: 0, maxEntries: 1 };
  try {
    const backend = lmdbBackend(dir, everyWrite);
    const first = await backend.open('g', 's', 0);
    assert.is(first.checkpoint(), undefined, 'a fresh partition has no checkpoint');
    await first.write([{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: Buffer.from('b'), value: Buffer.from('2') }], '10');
    await first.write([{ key: Buffer.from('b'), value: null }]);
    assert.is(first.get(Buffer.from('a'))?.toString(), '1', 'write visible at once');
    assert.is(first.get(Buffer.from('b')), undefined, 'delete visible at once');
    assert.is(first.checkpoint(), '10', 'a write without a checkpoint keeps the last one');
    assert.equal([...first.entries()].map((e) => e.key.toString()), ['a'], 'the checkpoint is not an entry');
    // Not closed: what a killed process leaves behind.
    const second = await lmdbBackend(dir, everyWrite).open('g', 's', 0);
    assert.is(second.checkpoint(), '10', 'the checkpoint written with the data survives without a close');
    assert.is(second.get(Buffer.from('a'))?.toString(), '1', 'data survived');
    await second.write([{ key: Buffer.from('c'), value: Buffer.from('3') }], '42');
    await second.close();
    await first.close();
    const third = await backend.open('g', 's', 0);
    assert.is(third.checkpoint(), '42', 'checkpoint of the last write, after a clean close');
    await third.clear();
    assert.equal([...third.entries()], [], 'cleared');
    assert.is(third.checkpoint(), undefined, 'clearing drops the checkpoint');
    await third.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writes held between flushes: read at once, flushed once per interval or size with the latest checkpoint, kept when a flush fails', async () => {
  let clock = 0;
  const flushed: Array<{ keys: string[]; checkpoint: string | undefined }> = [];
  let failNext = false;
  const inner = await memoryBackend().open('g', 's', 0);
  const storage = writeBehind(
    {
      ...inner,
      async write(entries, checkpoint) {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        flushed.push({ keys: entries.map((e) => `${e.key}=${e.value ?? 'deleted'}`), checkpoint });
        await inner.write(entries, checkpoint);
      },
    },
    { intervalMs: 1_000, maxEntries: 3, now: () => clock },
  );
  const entry = (key: string, value: string | null) => ({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) });
  await storage.write([entry('a', '1'), entry('b', '1')], '10');
  clock = 400;
  await storage.write([entry('a', '2'), entry('b', null)], '20');
  assert.equal(flushed, [], 'nothing flushed within the interval');
  assert.is(storage.get(Buffer.from('a'))?.toString(), '2', 'a held write is read at once');
  assert.is(storage.get(Buffer.from('b')), undefined, 'a held delete is read at once');
  assert.is(storage.checkpoint(), undefined, 'the checkpoint is what storage holds: a restart restores from there');
  assert.equal([...storage.entries()].map((e) => e.key.toString()), ['a'], 'entries see the held writes');
  clock = 1_000;
  await storage.write([entry('c', '1')], '30');
  assert.equal(flushed, [{ keys: ['a=2', 'b=deleted', 'c=1'], checkpoint: '30' }], 'after the interval: each key once, its latest value, the latest checkpoint');
  assert.is(storage.checkpoint(), '30');
  await storage.write([entry('d', '1'), entry('e', '1')], '40');
  await storage.write([entry('f', '1')]);
  assert.equal(flushed.at(-1), { keys: ['d=1', 'e=1', 'f=1'], checkpoint: '40' }, 'at maxEntries keys before the interval; a write without a checkpoint keeps the last');
  failNext = true;
  clock = 5_000;
  const failed = await storage.write([entry('g', '1')], '50').then(() => undefined, (error: unknown) => error);
  assert.match(String(failed), /disk full/, 'a failed flush is the write’s error');
  assert.is(storage.get(Buffer.from('g'))?.toString(), '1', 'and its writes are still held and read');
  assert.is(storage.checkpoint(), '40', 'storage keeps the checkpoint of its data');
  await storage.write([entry('h', '1')], '60');
  assert.equal(flushed.at(-1), { keys: ['g=1', 'h=1'], checkpoint: '60' }, 'the next flush takes the failed one’s writes too, with the latest checkpoint');
  await storage.write([entry('i', '1')]);
  await storage.close();
  assert.equal(flushed.at(-1), { keys: ['i=1'], checkpoint: undefined }, 'a close flushes');
  const restoring = writeBehind({ ...inner, write: async (entries, checkpoint) => void flushed.push({ keys: [`${entries.length} entries`], checkpoint }) }, { intervalMs: 1_000, maxEntries: 20_000, now: () => clock });
  await restoring.write(Array.from({ length: 1_000 }, (_, i) => entry(`r${i}`, '1')), '70');
  assert.equal(flushed.at(-1), { keys: ['1000 entries'], checkpoint: '70' }, 'a batch of a restore’s size goes straight to storage when nothing is held');
});

test('the partitions of one assignment are restored by one changelog read, each into its own storage', async () => {
  const { topology } = counter();
  const reads: Array<{ topic: string; partitions: number[] }> = [];
  let offsetReads = 0;
  let boundsGiven = false;
  let restoringDuringRead = false;
  // Partition p's changelog holds p + 1 entries, keys `p-<i>`, and a marker.
  const changelog: ChangelogReader = {
    offsets: async () => {
      offsetReads += 1;
      return new Map([0, 1, 2, 3].map((p) => [p, { low: '0', high: String(p + 2) }]));
    },
    restore: async (topic, from, apply, options) => {
      reads.push({ topic, partitions: [...from.keys()].sort() });
      boundsGiven = options?.bounds !== undefined;
      restoringDuringRead = stores.isRestoring();
      for (const partition of from.keys()) {
        // As a chunk writes them: its entries, then its input-offset marker.
        const entries = Array.from({ length: partition + 1 }, (_, i) => ({ key: Buffer.from(`${partition}-${i}`), value: Buffer.from('1'), offset: String(i) }));
        await apply(partition, [...entries, { key: markerKey('in'), value: Buffer.from('1'), offset: String(partition + 1) }], String(partition + 2));
      }
    },
    close: async () => {},
  };
  const stores = countStores(topology, changelog);
  await stores.assign([0, 1, 2]);
  assert.ok(restoringDuringRead, 'not ready while the assignment restores');
  assert.equal(reads, [{ topic: topology.stateStores[0]!.changelogTopic, partitions: [0, 1, 2] }], 'one read for the three partitions');
  assert.is(offsetReads, 1, 'one offsets request for the three partitions');
  assert.ok(boundsGiven, 'the read is handed the offsets already fetched, so it does not ask again');
  assert.ok(!stores.isRestoring());
  for (const partition of [0, 1, 2]) {
    const held = [...(await stores.ready(partition)).get('counts')!.storage.entries()].map((e) => e.key.toString()).filter((k) => !k.startsWith('\u0000'));
    assert.equal(held.sort(), Array.from({ length: partition + 1 }, (_, i) => `${partition}-${i}`), `partition ${partition} holds its own entries`);
  }
  await stores.assign([0, 1, 2, 3]);
  assert.equal(reads.at(-1)?.partitions, [3], 'a later assignment reads only the partition it adds');
  await stores.close();
});

test('a restore that fails closes the storages it opened; the partitions open and restore again when next asked for', async () => {
  const { topology } = counter();
  let opens = 0;
  let closes = 0;
  const memory = memoryBackend();
  const backend: StateBackend = {
    kind: memory.kind,
    async open(group, store, partition) {
      opens += 1;
      const storage = await memory.open(group, store, partition);
      return { ...storage, close: async () => void (closes += 1) };
    },
  };
  let failNext = true;
  const changelog: ChangelogReader = {
    offsets: async () => new Map([0, 1].map((p) => [p, { low: '0', high: '2' }])),
    restore: async (_topic, from, apply) => {
      if (failNext) {
        failNext = false;
        throw new Error('changelog unreadable');
      }
      for (const partition of from.keys()) await apply(partition, [{ key: Buffer.from(`k${partition}`), value: Buffer.from('1'), offset: '0' }, { key: markerKey('in'), value: Buffer.from('1'), offset: '1' }], '2');
    },
    close: async () => {},
  };
  const stores = countStores(topology, changelog, { backend });
  const failed = await stores.assign([0, 1]).catch((e: unknown) => e);
  assert.instance(failed, Error, 'the assignment fails with the restore');
  assert.is(opens, 2, 'both partitions were opened');
  assert.is(closes, 2, 'and both closed again');
  assert.ok(!stores.isRestoring(), 'not restoring once it failed');
  await stores.assign([0, 1]);
  assert.is(opens, 4, 'opened again on the next assignment');
  for (const partition of [0, 1]) assert.ok((await stores.ready(partition)).get('counts')!.storage.get(Buffer.from(`k${partition}`)), `partition ${partition} restored`);
  await stores.close();
});

test('a restore stopped part way ends at once, keeps what it applied through its last marker, and the next start goes on from there', async () => {
  const { topology } = counter();
  const backend = memoryBackend();
  // Three chunks: a=1, b=1, then a=2, each ending with its input-offset marker.
  const records: ChangelogEntry[] = [];
  const chunk = (key: string, count: string, nextInput: string) => appendChunk(records, key, count, nextInput);
  chunk('a', '1', '1');
  chunk('b', '1', '2');
  chunk('a', '2', '3');
  const starts: Array<string | undefined> = [];
  /** Hands over the records from where it is asked to, `first` of them and then, unless stopped, the rest. */
  const reader = (first: number): ChangelogReader => ({
    offsets: async () => new Map([[0, { low: '0', high: String(records.length) }]]),
    restore: async (_topic, from, apply, options) => {
      const start = Number(from.get(0) ?? 0);
      const end = Math.min(start + first, records.length);
      starts.push(from.get(0));
      await apply(0, records.slice(start, end), String(end));
      // A changelog too large to read before the stop: only the signal ends the wait.
      if (end < records.length) await untilAborted(options?.signal);
    },
    close: async () => {},
  });
  const { lines, destination } = logLines();
  const events = new StreamEvents();
  const reading = events.next('restoring', (e) => e.restored > 0);
  const stopped = countStores(topology, reader(3), { backend, events, log: createLogger({ level: 'info' }, destination) });
  const assigned = stopped.assign([0]).then(
    () => undefined,
    (error: unknown) => error,
  );
  await reading;
  stopped.stopRestoring();
  assert.instance(await assigned, Error, 'the assignment ends with the stopped restore');
  assert.ok(!stopped.isRestoring(), 'not restoring once stopped');
  assert.instance(await stopped.ready(0).catch((e: unknown) => e), Error, 'a partition asked for after the stop is not restored');
  await stopped.close();
  const said = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['msg']).startsWith('state store restore stopped'));
  assert.equal(
    said.map((l) => ({ level: l['level'], store: l['store'], partition: l['partition'], restored: l['restored'], records: l['records'] })),
    [{ level: 30, store: 'counts', partition: 0, restored: 2, records: 6 }],
    'one info line: the entries kept (a=1 and its marker; b=1 waits for its marker) of the records to restore',
  );
  const kept = await backend.open('bridge.count', 'counts', 0);
  assert.is(kept.checkpoint(), '2', 'checkpointed after the last marker applied, not where the read stopped');
  assert.is(kept.get(Buffer.from('b')), undefined, 'an entry whose marker was not read is not kept');

  const next = countStores(topology, reader(records.length), { backend });
  await next.assign([0]);
  assert.equal(starts, [undefined, '2'], 'the next start reads from the checkpoint');
  for (const [key, count] of [['a', '2'], ['b', '1']]) assert.is((await next.lookup('counts', 0, Buffer.from(key!)))?.toString(), count, `${key} holds its latest value`);
  await next.close();
});

test('a long restore of a compacted changelog (one marker, near its end) applies what it reads before it has read the marker', async () => {
  const { topology } = counter();
  const backend = memoryBackend();
  // As compaction leaves a changelog: each key once, only the latest marker, then the start of a
  // chunk cut short (e=1) that never got its marker.
  const records: ChangelogEntry[] = [];
  const add = (key: Buffer, value: string) => records.push({ key, value: Buffer.from(value), offset: String(records.length) });
  for (const [key, count] of [['a', '2'], ['b', '1'], ['c', '1'], ['d', '1']] as const) add(Buffer.from(key), count);
  add(markerKey('in'), '40');
  add(Buffer.from('e'), '1');
  /** Hands over two records a read from where it is asked to, up to the end it is given; stops after `reads` reads of the restore itself (not the look for the marker). */
  const reader = (reads: number): ChangelogReader => ({
    offsets: async () => new Map([[0, { low: '0', high: String(records.length) }]]),
    restore: async (_topic, from, apply, options) => {
      const start = Number(from.get(0) ?? 0);
      const end = Number(options?.bounds?.get(0)?.high ?? records.length);
      // The look for the last marker reads the last two offsets (a window of 2); the restore itself starts elsewhere.
      const looking = start === records.length - 2;
      let done = 0;
      for (let at = start; at < end; at += 2) {
        if (!looking && done === reads) {
          await untilAborted(options?.signal);
        }
        const batch = records.slice(at, Math.min(at + 2, end));
        await apply(0, batch, String(at + batch.length));
        done += 1;
      }
    },
    close: async () => {},
  });
  const events = new StreamEvents();
  const reading = events.next('restoring', (e) => e.restored >= 2);
  const stopped = countStores(topology, reader(1), { backend, unmarkedRestoreWindow: 2, events });
  const assigned = stopped.assign([0]).catch((error: unknown) => error);
  await reading;
  stopped.stopRestoring();
  assert.instance(await assigned, Error);
  await stopped.close();
  const kept = await backend.open('bridge.count', 'counts', 0);
  assert.is(kept.checkpoint(), '2', 'what was read is kept, with its checkpoint, though no marker was read');
  assert.is(kept.get(Buffer.from('a'))?.toString(), '2');
  await kept.close();

  const next = countStores(topology, reader(records.length), { backend, unmarkedRestoreWindow: 2 });
  await next.assign([0]);
  for (const [key, count] of [['a', '2'], ['b', '1'], ['c', '1'], ['d', '1']]) assert.is((await next.lookup('counts', 0, Buffer.from(key!)))?.toString(), count, `${key} holds its value`);
  assert.is(await next.lookup('counts', 0, Buffer.from('e')), undefined, 'the chunk cut short after the last marker is left out');
  assert.is((await next.covered(0, 'in'))?.toString(), '40', 'the marker restored with the entries before it');
  await next.close();
});

test('keys a restore left out entries of are carried, as restored, by the next chunk’s changelog: a later marker does not make those entries count', async () => {
  const { topology } = counter();
  // a=1 and its marker, then a chunk cut short: a=2 and b=5 without their marker. The chunk runs
  // again and may end at another input offset; once a marker follows a=2 and b=5, a restore
  // applies them, unless the stage's own entries for a and b come after them.
  const records: ChangelogEntry[] = [];
  const add = (key: Buffer, value: string) => records.push({ key, value: Buffer.from(value), offset: String(records.length) });
  add(Buffer.from('a'), '1');
  add(markerKey('in'), '10');
  add(Buffer.from('a'), '2');
  add(Buffer.from('b'), '5');
  const changelog = wholeChangelog(records);
  const stores = countStores(topology, changelog);
  await stores.assign([0]);
  const entries = (chunk: Awaited<ReturnType<StateStores['begin']>>, nextOffset: string) =>
    chunk.changelog([{ topic: 'in', nextOffset }], 0).map((r) => `${r.key?.toString('latin1').replace(/^\u0000input-offset:/, 'marker:')}=${r.value?.toString() ?? 'null'}`);
  const first = await stores.begin(0, 0);
  assert.equal(entries(first, '12'), ['a=1', 'b=null', 'marker:in=12'], 'each left-out key with its restored value (b: none), before the marker');
  await stores.apply(first, [{ topic: 'in', nextOffset: '12' }], new Map([['bridge.count-counts-changelog', '4']]));
  const second = await stores.begin(0, 0);
  assert.equal(entries(second, '13'), ['marker:in=13'], 'carried once');
  await stores.close();
});

test('a partition that leaves while it restores ends its restore; the one restored with it starts again and ends whole', async () => {
  const { topology } = counter();
  const records = new Map<number, ChangelogEntry[]>([0, 1].map((p) => [p, [
    { key: Buffer.from(`a${p}`), value: Buffer.from('1'), offset: '0' },
    { key: markerKey('in'), value: Buffer.from('5'), offset: '1' },
    { key: Buffer.from(`b${p}`), value: Buffer.from('2'), offset: '2' },
    { key: markerKey('in'), value: Buffer.from('9'), offset: '3' },
  ]]));
  let reads = 0;
  /** The first restore hands over each partition's first chunk, then waits as a long changelog would, until aborted; later ones read all. */
  const changelog: ChangelogReader = {
    offsets: async () => new Map([0, 1].map((p) => [p, { low: '0', high: '4' }])),
    restore: async (_topic, from, apply, options) => {
      const first = reads++ === 0;
      for (const [partition, offset] of from) {
        const start = Number(offset ?? 0);
        const end = first ? 2 : 4;
        if (start < end) await apply(partition, records.get(partition)!.slice(start, end), String(end));
      }
      if (first) {
        await untilAborted(options?.signal);
      }
    },
    close: async () => {},
  };
  const { lines, destination } = logLines();
  const events = new StreamEvents();
  const reading = events.next('restoring', (e) => e.restored > 0);
  const stores = countStores(topology, changelog, { events, log: createLogger({ level: 'info' }, destination) });
  const first = stores.assign([0, 1]);
  await reading;
  // Partition 0 moves to another member: the release does not wait for its restore to read the rest.
  await stores.assign([1]);
  await first;
  assert.is((await stores.lookup('counts', 1, Buffer.from('b1')))?.toString(), '2', 'partition 1 restored whole, after starting again');
  assert.is(reads, 2);
  const ended = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['msg']).startsWith('state store restore ended'));
  assert.equal(ended.map((l) => [l['partition'], l['level']]), [[0, 30]], 'one info line, for the partition that left');
  await stores.close();
});

test('a partition that leaves while it restores and comes straight back is opened once again, not twice', async () => {
  const { topology } = counter();
  const records: ChangelogEntry[] = [
    { key: Buffer.from('a'), value: Buffer.from('1'), offset: '0' },
    { key: markerKey('in'), value: Buffer.from('5'), offset: '1' },
  ];
  const asked: number[][] = [];
  const changelog: ChangelogReader = {
    offsets: async () => new Map([0, 1].map((p) => [p, { low: '0', high: '2' }])),
    restore: async (_topic, from, apply, options) => {
      asked.push([...from.keys()].sort());
      const first = asked.length === 1;
      for (const [partition, offset] of from) if (Number(offset ?? 0) < 2) await apply(partition, records, '2');
      if (first) {
        await untilAborted(options?.signal);
      }
    },
    close: async () => {},
  };
  const events = new StreamEvents();
  const reading = events.next('restoring', (e) => e.restored > 0);
  const memory = memoryBackend();
  const opens: number[] = [];
  const backend: StateBackend = { ...memory, open: async (group, store, partition) => (opens.push(partition), memory.open(group, store, partition)) };
  const stores = countStores(topology, changelog, { backend, events });
  const first = stores.assign([0, 1]);
  await reading;
  const released = stores.release(0);
  const back = stores.ready(0);
  await released;
  await Promise.all([first, back, stores.ready(1)]);
  assert.equal(asked, [[0, 1], [0, 1]], 'both restored again, together');
  assert.equal(opens.sort(), [0, 0, 1, 1], 'each opened once more: the one that came back by its own request only');
  assert.is((await stores.lookup('counts', 0, Buffer.from('a')))?.toString(), '1');
  await stores.close();
});

test('a partition let go of and assigned again restores what another member wrote to its changelog meanwhile', async () => {
  const { topology } = counter();
  // One changelog partition as a list: a chunk's entries, then its input-offset marker.
  const records: ChangelogEntry[] = [];
  const chunk = (key: string, count: string, nextInput: string) => appendChunk(records, key, count, nextInput);
  const changelog = wholeChangelog(records);
  const stores = countStores(topology, changelog);
  const count = async () => (await stores.lookup('counts', 0, Buffer.from('a')))?.toString();
  chunk('a', '1', '1');
  await stores.assign([0]);
  assert.is(await count(), '1');
  // Another member took the partition (this one was dropped from the group) and wrote before this one let go of it.
  chunk('a', '2', '2');
  await stores.assign([]);
  chunk('b', '1', '3');
  await stores.assign([0]);
  assert.is(await count(), '2', 'the count the changelog holds, not the one this instance had when it let go');
  assert.is((await stores.lookup('counts', 0, Buffer.from('b')))?.toString(), '1', 'and what was written after');
  await stores.close();
});

test('a query reads a partition only once it is restored here, and never opens one itself', async () => {
  const { topology } = counter();
  const records: ChangelogEntry[] = [
    { key: Buffer.from('a'), value: Buffer.from('5'), offset: '0' },
    { key: markerKey('in'), value: Buffer.from('1'), offset: '1' },
  ];
  let reads = 0;
  const whole = wholeChangelog(records);
  const changelog: ChangelogReader = {
    ...whole,
    offsets: (...args) => {
      reads += 1;
      return whole.offsets(...args);
    },
  };
  const stores = countStores(topology, changelog);
  assert.equal(await stores.lookupRestored('counts', 0, Buffer.from('a')), { restored: false }, 'not assigned here: not restored');
  assert.is(reads, 0, 'the query started no restore');
  const restoring = stores.assign([0]);
  assert.equal(await stores.lookupRestored('counts', 0, Buffer.from('a')), { restored: false }, 'while it restores: not yet');
  await restoring;
  assert.ok(reads > 0, 'the assignment restored from the changelog');
  const found = await stores.lookupRestored('counts', 0, Buffer.from('a'));
  assert.is(found.restored && (found.value as Buffer | undefined)?.toString(), '5', 'restored: the committed value');
  await stores.assign([]);
  assert.equal(await stores.lookupRestored('counts', 0, Buffer.from('a')), { restored: false }, 'let go of: no answer from what this instance held');
  await stores.close();
});

test('a query of a partition whose restore at the assignment failed starts it again, so the answer is not "restoring" for good', async () => {
  const { topology } = counter();
  const records: ChangelogEntry[] = [
    { key: Buffer.from('a'), value: Buffer.from('3'), offset: '0' },
    { key: markerKey('in'), value: Buffer.from('1'), offset: '1' },
  ];
  const whole = wholeChangelog(records);
  let failing = true;
  const changelog: ChangelogReader = {
    ...whole,
    offsets: (...args) => (failing ? Promise.reject(new Error('broker away')) : whole.offsets(...args)),
  };
  const stores = countStores(topology, changelog);
  // The key topic's partitions: the one thing of Kafka a query of an owned partition reads.
  const admin = { fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }] } as unknown as Admin;
  const queries = new StoreQueries({ admin: async () => admin, groupId: 'bridge.count', state: stores, keyTopic: 'in', owned: () => new Set([0]) });
  await stores.assign([0]).catch(() => undefined);
  failing = false;
  assert.is((await queries.query('counts', 'a')).where, 'restoring', 'the failed restore: not restored yet');
  // Nothing else opens the partition here (no record comes): only the query can have started it.
  let answer = await queries.query('counts', 'a');
  for (let tries = 0; answer.where === 'restoring' && tries < 50; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer = await queries.query('counts', 'a');
  }
  assert.equal(answer.where === 'here' ? answer.value : answer.where, 3, 'the query started the restore again, and then answered from it');
  await stores.close();
});

test('a partition let go of after chunks of its own is checkpointed after its last changelog write: a restart here restores nothing', async () => {
  const { topology, counts } = counter();
  const backend = memoryBackend();
  const changelogTopic = topology.stateStores[0]!.changelogTopic;
  const changelog: ChangelogReader = { offsets: async () => new Map([[0, { low: '0', high: '40' }]]), restore: async () => {}, close: async () => {} };
  const stores = countStores(topology, changelog, { backend });
  await stores.assign([0]);
  // Two chunks: their changelog records began at 40 (two keys and the marker) and at 43 (one key and the marker).
  for (const [keys, first, next] of [[['a', 'b'], '40', '2'], [['a'], '43', '3']] as const) {
    const chunk = await stores.begin(0, Date.now());
    const record = chunk.record();
    for (const key of keys) await record.store(counts).put(key, 1);
    chunk.accept(record);
    await stores.apply(chunk, [{ topic: 'in', nextOffset: next }], new Map([[changelogTopic, first]]));
  }
  await stores.assign([]);
  const reopened = await backend.open('bridge.count', 'counts', 0);
  assert.is(reopened.checkpoint(), '45', 'after the second chunk’s two records, not at its first (43) nor at the changelog’s end');
  await reopened.close();
});

test.run();
