import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError, serdes } from '../../../src/streams/index.ts';
import type { InPlaceSerde } from '../../../src/streams/state/stores.ts';
import { windowedSerde } from '../../../src/streams/state/windowed-serde.ts';
import { foldIntoWindow, windowsOf } from '../../../src/streams/state/windows.ts';
import type { Windowed } from '../../../src/streams/state/stores.ts';

const day = 86_400_000;
const spec = { sizeMs: day, graceMs: 2 * day, retentionMs: 3 * day };
type Daily = { sum: number; count: number };

test('a window store value reads back as written: observedUntil, every window in order, each aggregate', async () => {
  const serde = windowedSerde<Daily>(serdes.json<Daily>());
  const value: Windowed<Daily> = { observedUntil: 12 * day + 7, windows: [[10 * day, { sum: 65.5, count: 2 }], [11 * day, { sum: 40, count: 1 }], [12 * day, { sum: 0, count: 0 }]] };
  const bytes = (await serde.serialize(value, 'c'))!;
  assert.is(bytes[0], 1, 'binary layout version 1');
  assert.equal(await serde.deserialize(bytes, 'c'), value, 'the same value back');
  const none = (await serde.serialize({ observedUntil: 5, windows: [] }, 'c'))!;
  assert.equal(await serde.deserialize(none, 'c'), { observedUntil: 5, windows: [] }, 'a key without windows reads back empty');
});

test('an aggregate serde that writes in place gives the same bytes as its serialize, and they read back', async () => {
  // A fixed-width aggregate (sum float64, count uint32) written both ways.
  const fixed: InPlaceSerde<Daily> = {
    name: 'fixed',
    serialize: (d) => {
      const out = Buffer.alloc(12);
      out.writeDoubleLE(d.sum, 0);
      out.writeUInt32LE(d.count, 8);
      return out;
    },
    deserialize: (data) => ({ sum: data!.readDoubleLE(0), count: data!.readUInt32LE(8) }),
    byteLength: () => 12,
    serializeInto: (d, out, at) => {
      out.writeDoubleLE(d.sum, at);
      out.writeUInt32LE(d.count, at + 8);
      return at + 12;
    },
  };
  const { byteLength: _length, serializeInto: _into, ...perWindow } = fixed;
  const value: Windowed<Daily> = { observedUntil: 12 * day + 7, windows: [[10 * day, { sum: 65.5, count: 2 }], [11 * day, { sum: 40, count: 1 }], [12 * day, { sum: -1.25, count: 7 }]] };
  const inPlace = (await windowedSerde(fixed).serialize(value, 'c'))!;
  const copied = (await windowedSerde<Daily>(perWindow).serialize(value, 'c'))!;
  assert.is(inPlace.toString('hex'), copied.toString('hex'), 'byte for byte the layout of one Buffer per window');
  assert.is(inPlace.length, 11 + 3 * (12 + 12), 'header, then per window start, length and the 12 bytes');
  assert.equal(await windowedSerde(fixed).deserialize(inPlace, 'c'), value, 'the same value back');
  const none = (await windowedSerde(fixed).serialize({ observedUntil: 5, windows: [] }, 'c'))!;
  assert.equal(await windowedSerde(fixed).deserialize(none, 'c'), { observedUntil: 5, windows: [] }, 'a key without windows');
});

test('a value written as JSON (the earlier layout) still reads, so existing changelogs restore', async () => {
  const serde = windowedSerde<Daily>(serdes.json<Daily>());
  const legacy = { observedUntil: 3 * day, windows: [[2 * day, { sum: 50, count: 1 }]] };
  assert.equal(await serde.deserialize(Buffer.from(JSON.stringify(legacy)), 'c'), legacy, 'parsed as it was written');
});

test('a damaged value is a deserialization error naming what is wrong, never a crash or a wrong value', async () => {
  const serde = windowedSerde<Daily>(serdes.json<Daily>());
  const good = (await serde.serialize({ observedUntil: day, windows: [[0, { sum: 1, count: 1 }]] }, 'c'))!;
  const cases: Array<[Buffer | null, RegExp]> = [
    [null, /empty payload/],
    [Buffer.from([9, 0, 0]), /unknown layout version 9/],
    [good.subarray(0, 5), /shorter than its header/],
    [good.subarray(0, good.length - 3), /ends inside window 1 of 1/],
    [Buffer.from('{"observedUntil":'), /is not valid JSON/],
  ];
  for (const [data, message] of cases) {
    const error = await Promise.resolve(serde.deserialize(data, 'c')).then(() => undefined, (e: unknown) => e);
    assert.instance(error, RecordError, `${message}: a RecordError`);
    assert.is((error as RecordError).reason, 'deserialization_failed');
    assert.match((error as Error).message, message);
  }
});

test('a late record within grace makes its window between the others; retention drops the oldest', () => {
  const add = (n: number) => (sum: number | undefined) => (sum ?? 0) + n;
  let value = foldIntoWindow<number>(spec, undefined, 10 * day + 1, add(1));
  value = foldIntoWindow(spec, value, 12 * day + 1, add(4));
  value = foldIntoWindow(spec, value, 11 * day + 1, add(2)); // a day late, within grace
  value = foldIntoWindow(spec, value, 12 * day + 2, add(8));
  assert.equal(value!.windows, [[10 * day, 1], [11 * day, 2], [12 * day, 12]], 'in start order, the late one in its place');
  assert.is(foldIntoWindow(spec, value, 9 * day, add(16)), undefined, 'past grace: closed');
  value = foldIntoWindow(spec, value, 14 * day, add(32));
  assert.equal(value!.windows.map(([s]) => s / day), [11, 12, 14], 'window 10 ended more than the retention before the newest event time');
  assert.equal(windowsOf(spec, value).map((w) => [w.start / day, w.end / day, w.value]), [[11, 12, 2], [12, 13, 12], [14, 15, 32]], 'fetched with their ends');
});

test.run();
