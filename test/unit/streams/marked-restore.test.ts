import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryBackend } from '../../../src/streams/index.ts';
import type { PartitionStorage, StateEntry } from '../../../src/streams/state/backend.ts';
import { markerKey } from '../../../src/streams/state/chunk-state.ts';
import { MarkedRestore } from '../../../src/streams/state/marked-restore.ts';

const entry = (key: string, value: string): StateEntry => ({ key: Buffer.from(key), value: Buffer.from(value) });
const marker = (offset: number): StateEntry => ({ key: markerKey('in'), value: Buffer.from(String(offset)) });

/** The storage's keys and values, markers shown as `marker`. */
function held(storage: PartitionStorage): Record<string, string> {
  return Object.fromEntries([...storage.entries()].map((e) => [e.key[0] === 0 ? 'marker' : e.key.toString(), e.value!.toString()]));
}

test('entries apply through their chunk’s marker, with the checkpoint after them', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry('a', '1'), entry('b', '1'), marker(10)], '3');
  assert.equal(held(storage), { a: '1', b: '1', marker: '10' });
  assert.is(storage.checkpoint(), '3');
  assert.is(restore.leftOut, 0);
});

test('a chunk whose changelog came in two requests applies once its marker is read', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry('a', '1'), marker(10)], '2');
  await restore.add([entry('a', '2'), entry('b', '2')], '4');
  assert.equal(held(storage), { a: '1', marker: '10' }, 'nothing of the second chunk before its marker');
  assert.is(storage.checkpoint(), '2', 'the checkpoint stays before the held entries');
  await restore.add([entry('c', '2'), marker(20)], '6');
  assert.equal(held(storage), { a: '2', b: '2', c: '2', marker: '20' });
  assert.is(storage.checkpoint(), '6');
});

test('entries after the changelog’s last marker are left out, and the checkpoint does not pass them', async () => {
  const storage = await memoryBackend().open('g', 's', 0);
  const restore = new MarkedRestore(storage);
  await restore.add([entry('a', '1'), marker(10), entry('a', '2'), entry('b', '2')], '4');
  assert.equal(held(storage), { a: '1', marker: '10' }, 'the stopped chunk’s entries are not restored: it runs again');
  assert.is(storage.checkpoint(), undefined, 'a restart reads from before them again');
  assert.is(restore.leftOut, 2);
});

test.run();
