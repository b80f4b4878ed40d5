import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryBackend } from '../../../src/streams/index.ts';
import type { PartitionStorage } from '../../../src/streams/state/backend.ts';
import type { ChangelogEntry } from '../../../src/streams/state/changelog-reader.ts';
import { markerKey } from '../../../src/streams/state/chunk-state.ts';
import { MarkedRestore } from '../../../src/streams/state/marked-restore.ts';

/** A changelog record at `offset`: a store entry, or the input-offset marker that ends a chunk. */
const entry = (offset: number, key: string, value: string): ChangelogEntry => ({ key: Buffer.from(key), value: Buffer.from(value), offset: String(offset) });
const marker = (offset: number, inputOffset: number): ChangelogEntry => ({ key: markerKey('in'), value: Buffer.from(String(inputOffset)), offset: String(offset) });

/** The storage's keys and values, markers shown as `marker`. */
function held(storage: PartitionStorage): Record<string, string> {
  return Object.fromEntries([...storage.entries()].map((e) => [e.key[0] === 0 ? 'marker' : e.key.toString(), e.value!.toString()]));
}

test('entries apply through their chunk’s marker, with the checkpoint after them', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry(0, 'a', '1'), entry(1, 'b', '1'), marker(2, 10)], '3');
  assert.equal(held(storage), { a: '1', b: '1', marker: '10' });
  assert.is(storage.checkpoint(), '3');
  assert.is(restore.leftOut, 0);
});

test('a chunk whose changelog came in two requests applies once its marker is read', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry(0, 'a', '1'), marker(1, 10)], '2');
  await restore.add([entry(2, 'a', '2'), entry(3, 'b', '2')], '4');
  assert.equal(held(storage), { a: '1', marker: '10' }, 'nothing of the second chunk before its marker');
  assert.is(storage.checkpoint(), '2', 'the checkpoint stays before the held entries');
  await restore.add([entry(4, 'c', '2'), marker(5, 20)], '6');
  assert.equal(held(storage), { a: '2', b: '2', c: '2', marker: '20' });
  assert.is(storage.checkpoint(), '6');
});

test('entries after the changelog’s last marker are left out, and the checkpoint does not pass them', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry(0, 'a', '1'), marker(1, 10), entry(2, 'a', '2'), entry(3, 'b', '2')], '4');
  assert.equal(held(storage), { a: '1', marker: '10' }, 'the stopped chunk’s entries are not restored: it runs again');
  assert.is(storage.checkpoint(), '2', 'the checkpoint right after the marker: a restart reads them again');
  assert.is(restore.leftOut, 2);
});

test('a read that ends inside a chunk still moves the checkpoint to the last marker it passed', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  // Two chunks and the start of a third: where a fetch ends has nothing to do with the chunks.
  await restore.add([entry(0, 'a', '1'), marker(1, 10), entry(2, 'b', '1'), marker(3, 20), entry(4, 'a', '2')], '5');
  assert.equal(held(storage), { a: '1', b: '1', marker: '20' });
  assert.is(storage.checkpoint(), '4', 'after the second marker, before the entry it holds back: a restore stopped now goes on from there');
  await restore.add([entry(5, 'c', '1')], '6');
  assert.is(storage.checkpoint(), '4', 'no marker read: the checkpoint stays');
  await restore.add([marker(6, 30), entry(7, 'd', '1')], '8');
  assert.equal(held(storage), { a: '2', b: '1', c: '1', marker: '30' }, 'the held entries go in with their marker');
  assert.is(storage.checkpoint(), '7');
  assert.is(restore.leftOut, 1);
});


test('with the last marker’s end known, entries below it apply as they are read, markers or not', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  // A compacted changelog: its chunks' markers gone but the latest (offset 6), so the end is 7.
  const restore = new MarkedRestore(storage, { end: 7n, marker: marker(6, 30) });
  await restore.add([entry(0, 'a', '1'), entry(2, 'b', '1')], '3');
  assert.equal(held(storage), { a: '1', b: '1' }, 'applied without a marker read');
  assert.is(storage.checkpoint(), '3', 'a restore stopped now goes on from here');
  await restore.add([entry(4, 'a', '2'), marker(6, 30), entry(7, 'c', '1'), entry(8, 'a', '3')], '9');
  assert.equal(held(storage), { a: '2', b: '1', marker: '30' }, 'through the last marker; a chunk cut short after it is left out');
  assert.is(storage.checkpoint(), '7', 'the checkpoint stops at the last marker’s end');
  assert.is(restore.leftOut, 2);
});

test('with the last marker’s end known, a read past it keeps the checkpoint at that end', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage, { end: 2n, marker: marker(1, 10) });
  await restore.add([entry(0, 'a', '1'), marker(1, 10)], '5');
  assert.is(storage.checkpoint(), '2', 'offsets 2–4 read held no entry, but lie past the end known');
  await restore.add([entry(5, 'b', '1')], '6');
  assert.equal(held(storage), { a: '1', marker: '10' });
  assert.is(restore.leftOut, 1);
});

test('the known last marker goes to storage when compaction removed it before the restore read it', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  // Found at offset 6 by the look back; by the time the restore read there, only a newer marker
  // (past the range) was left, so the chunk's entries arrive without it.
  const restore = new MarkedRestore(storage, { end: 7n, marker: marker(6, 30) });
  await restore.add([entry(0, 'a', '1'), entry(5, 'b', '1')], '7');
  assert.equal(held(storage), { a: '1', b: '1' });
  await restore.finish();
  assert.equal(held(storage), { a: '1', b: '1', marker: '30' }, 'the entries applied are held under their own marker, not an older one');
  assert.is(storage.checkpoint(), '7');
});

test('the known last marker, read, is not written again', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage, { end: 2n, marker: marker(1, 10) });
  await restore.add([entry(0, 'a', '1'), marker(1, 10)], '2');
  let writes = 0;
  const write = storage.write.bind(storage);
  storage.write = async (...args) => {
    writes += 1;
    return write(...args);
  };
  await restore.finish();
  assert.is(writes, 0);
});

test('the keys of entries left out, markers aside, in both ways of restoring', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const known = new MarkedRestore(storage, { end: 2n, marker: marker(1, 10) });
  await known.add([entry(0, 'a', '1'), marker(1, 10), entry(2, 'b', '1'), entry(3, 'c', '1'), marker(4, 20)], '5');
  assert.equal([...known.leftOutKeys().keys()].sort(), ['b', 'c'], 'past the known end (a marker there: a newer one, written after the look back)');
  const unknown = new MarkedRestore(await memoryBackend().open('g', 's', 1));
  await unknown.add([entry(0, 'a', '1'), marker(1, 10), entry(2, 'd', '1'), entry(3, 'd', '2')], '4');
  assert.equal([...unknown.leftOutKeys().keys()], ['d']);
});

test.run();
