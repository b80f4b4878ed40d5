import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError, serdes, type Serde } from '../../../src/streams/index.ts';
import { addInPlace, float64Aggregate } from '../../support/float-aggregate.ts';
import { SavedBytes } from '../../../src/streams/state/saved-bytes.ts';
import type { InPlaceFold, Windowed } from '../../../src/streams/state/stores.ts';
import { binaryValue, foldStored, WindowCursor, type WindowedCodec } from '../../../src/streams/state/windowed-bytes.ts';
import { foldInRing, ringLength, writeRing } from '../../../src/streams/state/windowed-in-place.ts';
import type { InPlaceSerde } from '../../../src/streams/state/stores.ts';
import { windowedSerde } from '../../../src/streams/state/windowed-serde.ts';
import { foldIntoWindow, windowsOf } from '../../../src/streams/state/windows.ts';

const day = 86_400_000;
const spec = { sizeMs: day, graceMs: 2 * day, retentionMs: 3 * day };

const sum = float64Aggregate;

function codecOf<A>(aggregate: Serde<A> | InPlaceSerde<A>): WindowedCodec<A> {
  return { windows: spec, aggregate, value: windowedSerde(aggregate), topic: 'c' };
}

/**
 * Event times in quarter days (so the edges of grace and retention are hit exactly): mostly
 * forward, some late (within grace and past it), some far ahead.
 */
function* times(seed: number, count: number): Generator<number> {
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const quarters = (most: number) => Math.floor(random() * most) * (day / 4);
  let now = 10 * day;
  for (let i = 0; i < count; i += 1) {
    const r = random();
    if (r < 0.5) now += quarters(4);
    else if (r < 0.55) now += quarters(24);
    yield r >= 0.55 && r < 0.8 ? now - quarters(16) : now;
  }
}

test('an update on the stored bytes gives the bytes of foldIntoWindow, then serialize: the same windows kept, dropped, placed, refused', async () => {
  for (const aggregate of [sum, serdes.json<number>()] as Array<Serde<number>>) {
    const codec = codecOf(aggregate);
    for (let seed = 1; seed <= 40; seed += 1) {
      let value: Windowed<number> | undefined;
      let bytes: Buffer | undefined;
      let n = 0;
      for (const time of times(seed, 60)) {
        n += 1;
        const add = (a: number | undefined) => (a ?? 0) + n;
        const expected = foldIntoWindow(spec, value, time, add);
        const next = await foldStored(codec, bytes, time, add);
        if (!expected) {
          assert.is(next, undefined, `${aggregate.name}, seed ${seed}, record ${n}: a closed window is refused alike`);
          continue;
        }
        const expectedBytes = (await codec.value.serialize(expected, 'c'))!;
        assert.is(next?.toString('hex'), expectedBytes.toString('hex'), `${aggregate.name}, seed ${seed}, record ${n} at day ${(time / day).toFixed(2)}: the same bytes`);
        value = expected;
        bytes = next;
      }
    }
  }
});

/** A ring of `fold`'s slots made from `current` (undefined: a new key), with its DataView. */
function ringOf(fold: InPlaceFold, current?: Buffer): { bytes: Buffer; view: DataView } {
  const bytes = Buffer.alloc(ringLength(spec, fold));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  writeRing(spec, fold, current, current === undefined ? undefined : new DataView(current.buffer, current.byteOffset, current.length), bytes, view);
  return { bytes, view };
}

/** Start (in days) and sum of each window a scan reads. */
function scanned(bytes: Buffer | undefined): Array<[number, number]> {
  const scan = new WindowCursor(spec, bytes);
  const seen: Array<[number, number]> = [];
  while (scan.next()) seen.push([scan.start / day, scan.view.getFloat64(scan.at, true)]);
  return seen;
}

const noChanges = { saving: () => undefined };

test('a ring folded in place holds the windows foldIntoWindow gives: new, replaced, closed and expired windows alike', async () => {
  const codec = codecOf(sum);
  for (let seed = 1; seed <= 40; seed += 1) {
    let value: Windowed<number> | undefined;
    const ring = ringOf(addInPlace(0));
    let n = 0;
    for (const time of times(seed, 60)) {
      n += 1;
      const expected = foldIntoWindow(spec, value, time, (a) => (a ?? 0) + n);
      const before = Buffer.from(ring.bytes);
      const folded = foldInRing(spec, addInPlace(n), ring.view, time, noChanges);
      const where = `seed ${seed}, record ${n} at day ${(time / day).toFixed(2)}`;
      assert.is(folded, expected !== undefined, `${where}: refused alike`);
      if (!expected) {
        assert.equal(ring.bytes, before, `${where}: a refused record changes nothing`);
        continue;
      }
      value = expected;
      assert.equal(scanned(ring.bytes), windowsOf(spec, value).map((w) => [w.start / day, w.value]), `${where}: the same retained windows`);
      const decoded = await codec.value.deserialize(ring.bytes, 'c');
      assert.equal(windowsOf(spec, decoded), windowsOf(spec, value), `${where}: decoded alike`);
    }
  }
});

test('an in-place update says which bytes it changes before it changes them: putting them back restores the ring', () => {
  const ring = ringOf(addInPlace(0));
  foldInRing(spec, addInPlace(1), ring.view, 10 * day, noChanges);
  const before = Buffer.from(ring.bytes);
  const saved = new SavedBytes();
  const mark = saved.mark();
  assert.ok(foldInRing(spec, addInPlace(2), ring.view, 10 * day + 5, saved), 'the same day');
  assert.ok(foldInRing(spec, addInPlace(4), ring.view, 13 * day, saved), 'a day three later, in a slot of its own');
  assert.equal(scanned(ring.bytes), [[10, 3], [13, 4]]);
  saved.restore(mark);
  assert.equal(ring.bytes, before, 'every byte as it was');
  foldInRing(spec, addInPlace(8), ring.view, 11 * day, saved);
  saved.forget(mark);
  saved.restore(mark);
  assert.equal(scanned(ring.bytes), [[10, 1], [11, 8]], 'forgotten saves are not put back');
  const kept = Buffer.from(ring.bytes);
  for (const time of [Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => foldInRing(spec, addInPlace(1), ring.view, time, noChanges), (e: unknown) => e instanceof RecordError && /needs a finite event time/.test(e.message), `${time} is refused`);
  }
  assert.equal(ring.bytes, kept, 'a refused event time changes nothing');
});

test('a key’s value in the 0x01 or JSON layout, or a ring of another layout, moves to a ring with its retained windows', async () => {
  const codec = codecOf(sum);
  const value: Windowed<number> = { observedUntil: 12 * day, windows: [[8 * day, 1], [9 * day, 2], [11 * day, 4], [12 * day, 8]] };
  const retained = windowsOf(spec, value).map((w) => [w.start / day, w.value]);
  const binary = (await codec.value.serialize(value, 'c'))!;
  assert.equal(scanned(ringOf(addInPlace(0), binary).bytes), retained, 'from 0x01: days 9, 11 and 12 (8 is past retention)');
  const legacy = Buffer.from(JSON.stringify(value));
  assert.equal(scanned(ringOf(addInPlace(0), await binaryValue(codec, legacy)).bytes), retained, 'from JSON, rewritten first');
  const other = ringOf(addInPlace(0, 2), binary);
  const relaid: number[] = [];
  const counting: InPlaceFold = { ...addInPlace(0), relayout: (from, fromAt, length, view, at) => (relaid.push(length), view.setFloat64(at, 10 * from.getFloat64(fromAt, true), true)) };
  assert.equal(scanned(ringOf(counting, other.bytes).bytes), retained.map(([d, v]) => [d, 10 * v!]), 'from a ring of layout 2: each window relaid');
  assert.equal(relaid, [8, 8, 8]);
  const same = ringOf(addInPlace(0), ringOf(addInPlace(0), binary).bytes);
  assert.equal(scanned(same.bytes), retained, 'a ring of the same layout is copied');
  assert.equal(ringOf(addInPlace(0)).bytes[0], 2, 'a ring is version 0x02');
  assert.equal(scanned(ringOf(addInPlace(0)).bytes), [], 'a new key has no windows');
});

test('a damaged ring is a deserialization error naming what is wrong, for a scan and a decode alike', async () => {
  const codec = codecOf(sum);
  const ring = ringOf(addInPlace(0));
  foldInRing(spec, addInPlace(1), ring.view, 10 * day, noChanges);
  const wrongSlots = Buffer.from(ring.bytes);
  wrongSlots.writeUInt16LE(9, 17);
  const cases: Array<[Buffer, RegExp]> = [
    [ring.bytes.subarray(0, 20), /shorter than its header/],
    [ring.bytes.subarray(0, ring.bytes.length - 1), /does not hold 5 slots of 8-byte aggregates/],
    [wrongSlots, /does not hold 9 slots of 8-byte aggregates/],
  ];
  for (const [data, message] of cases) {
    assert.throws(() => new WindowCursor(spec, data), (e: unknown) => e instanceof RecordError && message.test(e.message), `scan, ${message}`);
    const decoding = await Promise.resolve()
      .then(() => codec.value.deserialize(data, 'c'))
      .then(() => undefined, (e: unknown) => e);
    assert.instance(decoding, RecordError, `decode, ${message}`);
    assert.match((decoding as Error).message, message);
  }
});

test('a value in the earlier JSON layout updates and scans as its decoded windows would, and is rewritten in the binary layout', async () => {
  const codec = codecOf(sum);
  const legacy = Buffer.from(JSON.stringify({ observedUntil: 12 * day, windows: [[9 * day, 1], [10 * day, 2], [12 * day, 4]] }));
  const decoded = await codec.value.deserialize(legacy, 'c');
  const next = (await foldStored(codec, legacy, 12 * day + 5, (a) => (a ?? 0) + 8))!;
  assert.is(next[0], 1, 'written in the binary layout');
  assert.equal(await codec.value.deserialize(next, 'c'), foldIntoWindow(spec, decoded, 12 * day + 5, (a) => (a ?? 0) + 8), 'folded as the decoded value folds');
  const scan = new WindowCursor(spec, await binaryValue(codec, legacy));
  const seen: Array<[number, number]> = [];
  while (scan.next()) seen.push([scan.start / day, scan.bytes.readDoubleLE(scan.at)]);
  assert.equal(seen, windowsOf(spec, decoded).map((w) => [w.start / day, w.value]), 'scanned as fetch gives them');
});

test('a scan reads the retained windows in place, oldest first, leaving out those past retention as windowsOf does', async () => {
  const codec = codecOf(sum);
  // observedUntil says window 8 ended more than the retention ago; written by hand, as no update keeps it.
  const value: Windowed<number> = { observedUntil: 12 * day, windows: [[8 * day, 1], [9 * day, 2], [11 * day, 4], [12 * day, 8]] };
  const bytes = (await codec.value.serialize(value, 'c'))!;
  const scan = new WindowCursor(spec, bytes);
  const seen: Array<[number, number, number]> = [];
  while (scan.next()) seen.push([scan.start / day, scan.length, scan.bytes.readDoubleLE(scan.at)]);
  assert.equal(seen, [[9, 8, 2], [11, 8, 4], [12, 8, 8]], 'start, aggregate length and value of each retained window');
  assert.equal(windowsOf(spec, value).map((w) => w.start / day), [9, 11, 12], 'the windows fetch gives');
  assert.is(new WindowCursor(spec, undefined).next(), false, 'an absent key has no windows');
  assert.is(scan.next(), false, 'and a finished scan stays finished');
});

test('damaged bytes are a deserialization error naming what is wrong, for an update and a scan alike', async () => {
  const codec = codecOf(sum);
  const good = (await codec.value.serialize({ observedUntil: day, windows: [[0, 1], [day, 2]] }, 'c'))!;
  const cases: Array<[Buffer, RegExp]> = [
    [good.subarray(0, 5), /shorter than its header/],
    [good.subarray(0, good.length - 3), /ends inside window 2 of 2/],
    [Buffer.from([9, 0, 0]), /unknown layout version 9/],
  ];
  for (const [data, message] of cases) {
    const folding = await Promise.resolve()
      .then(() => foldStored(codec, data, day, (a) => (a ?? 0) + 1))
      .then(() => undefined, (e: unknown) => e);
    assert.instance(folding, RecordError, `update, ${message}`);
    assert.match((folding as Error).message, message);
    const scanning = await Promise.resolve()
      .then(async () => {
        const scan = new WindowCursor(spec, await binaryValue(codec, data));
        while (scan.next());
      })
      .then(() => undefined, (e: unknown) => e);
    assert.instance(scanning, RecordError, `scan, ${message}`);
    assert.match((scanning as Error).message, message);
  }
});

test('an update refuses a value whose windows do not ascend, instead of writing them out of place', async () => {
  const codec = codecOf(sum);
  const unordered = (await codec.value.serialize({ observedUntil: 2 * day, windows: [[2 * day, 1], [day, 2]] }, 'c'))!;
  const folding = await Promise.resolve()
    .then(() => foldStored(codec, unordered, 2 * day, (a) => (a ?? 0) + 1))
    .then(() => undefined, (e: unknown) => e);
  assert.instance(folding, RecordError);
  assert.match((folding as Error).message, /window store value of \d+ bytes has window 2 of 2 out of order/);
});

test.run();
