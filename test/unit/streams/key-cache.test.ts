import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryBackend, serdes, StreamsBuilder } from '../../../src/streams/index.ts';
import { ChunkState } from '../../../src/streams/state/chunk-state.ts';
import { KeyCache, openStore } from '../../../src/streams/state/open-store.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

test('a key cache finds a key by its string and by id, one object for both; full, it lets go of the oldest key no step found since', () => {
  const cache = new KeyCache(8);
  const a = cache.add(bytes('a'), 'a');
  assert.is(cache.byText('a'), a);
  assert.is(cache.byId('a'), a);
  assert.is(cache.add(bytes('a')), a, 'the same bytes are the same key');
  for (const k of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) cache.add(bytes(k), k);
  assert.is(cache.size, 8, 'eight keys fit');
  cache.add(bytes('i'), 'i');
  assert.is(cache.size, 8);
  assert.is(cache.byId('b'), undefined, 'the ninth lets go of the oldest key not found since it was added');
  assert.is(cache.byText('b'), undefined);
  assert.is(cache.byId('a'), a, 'the oldest, found since, is kept once more');
  for (const k of ['j', 'k', 'l', 'm', 'n', 'o']) cache.add(bytes(k), k);
  assert.is(cache.byId('a'), a, 'kept while the keys added after it go first');
  cache.add(bytes('p'), 'p');
  assert.is(cache.byId('a'), undefined, 'not found again since its second chance, it goes in its turn');
  assert.ok(cache.byText('i') && cache.byText('p'));
});

test('a full key cache whose keys were all found since lets go of the oldest, and holds no more than its capacity', () => {
  const cache = new KeyCache(16);
  const keys = Array.from({ length: 16 }, (_, i) => cache.add(bytes(`k${i}`), `k${i}`));
  for (let i = 0; i < 16; i += 1) assert.is(cache.byText(`k${i}`), keys[i]);
  cache.add(bytes('new'), 'new');
  assert.is(cache.size, 15, 'an eighth (two keys) let go of, the new one added');
  assert.is(cache.byId('k0'), undefined, 'after a pass over keys that were all used, the oldest goes');
  assert.is(cache.byId('k1'), undefined);
  assert.is(cache.byId('k2'), keys[2]);
  assert.throws(() => new KeyCache(0), /at least one key; got 0/);
});

test('a key is found by one string only: a second string of the same bytes is not remembered', () => {
  const cache = new KeyCache(8);
  const key = cache.add(bytes('k'), 'k');
  assert.is(cache.add(bytes('k'), 'other'), key);
  assert.is(cache.byText('other'), undefined);
  assert.is(key.text, 'k');
});

test('a chunk applies its writes to the value cached with the key the cache holds then; a key let go of is read from storage again', async () => {
  const builder = new StreamsBuilder('kv');
  const ref = builder.addStateStore({ name: 'kv', key: serdes.string(), value: serdes.json<number>() });
  builder.stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() }).to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const spec = builder.build().stateStores[0]!;
  const storage = await memoryBackend().open('g', 'kv', 0);
  const open = { ...openStore(spec, storage), keys: new KeyCache(8) };
  const stores = new Map([[spec.name, open]]);
  const markers = [{ topic: 'in', nextOffset: '1' }];

  const put = async (chunk: ChunkState, key: string, value: number) => {
    const record = chunk.record();
    await record.store(ref).put(key, value);
    chunk.accept(record);
  };
  const get = async (chunk: ChunkState, key: string) => {
    const record = chunk.record();
    const value = await record.store(ref).get(key);
    chunk.accept(record);
    return value;
  };

  const first = new ChunkState(0, stores);
  await put(first, 'a', 1);
  await first.apply(markers);
  assert.is(open.keys.byText('a')?.value, 1, 'the applied write is cached with the key');

  const second = new ChunkState(0, stores);
  await put(second, 'a', 2);
  // The key the write was made with is let go of before the chunk applies; a read makes it anew.
  // 'a' was found by the write, so it outlasts one pass of the cache: fifteen keys let go of it.
  for (const k of 'bcdefghijklmnop') await get(second, k);
  assert.is(open.keys.byId('a'), undefined);
  assert.is(await get(second, 'a'), 2, "the chunk's own write wins over storage");
  await put(second, 'a', 3);
  assert.is(await get(second, 'a'), 3, 'a write through the key made anew is the latest');
  const entries = second.changelog(markers, 0).filter((r) => r.key?.toString() === 'a');
  assert.equal(entries.map((r) => r.value?.toString()), ['3'], "one changelog record of the key: the chunk's one write, its latest value");
  await second.apply(markers);
  assert.is(open.keys.byText('a')?.value, 3, 'the key made anew holds the applied value, not the one storage had before');

  const third = new ChunkState(0, stores);
  assert.is(await get(third, 'a'), 3);
});

test('a chunk counts the keys it read from local storage: new ones and ones the cache let go of, not the ones it holds', async () => {
  const builder = new StreamsBuilder('kv');
  const ref = builder.addStateStore({ name: 'kv', key: serdes.string(), value: serdes.json<number>() });
  builder.stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() }).to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const spec = builder.build().stateStores[0]!;
  const open = { ...openStore(spec, await memoryBackend().open('g', 'kv', 0)), keys: new KeyCache(8) };
  const stores = new Map([[spec.name, open]]);
  const read = async (chunk: ChunkState, key: string) => {
    const record = chunk.record();
    await record.store(ref).get(key);
    chunk.accept(record);
  };
  const first = new ChunkState(0, stores);
  for (const k of ['a', 'b', 'a']) await read(first, k);
  assert.equal([...first.storageReads()], [['kv', 2]], 'a and b read from storage once each');
  const second = new ChunkState(0, stores);
  await read(second, 'a');
  assert.equal([...second.storageReads()], [], 'a cached key is not read from storage');
});

test.run();
