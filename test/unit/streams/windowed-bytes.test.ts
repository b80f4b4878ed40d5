import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError, serdes, type Serde } from '../../../src/streams/index.ts';
import type { BytesFold, Windowed } from '../../../src/streams/state/stores.ts';
import { binaryValue, foldStored, WindowCursor, type WindowedCodec } from '../../../src/streams/state/windowed-bytes.ts';
import { windowedSerde, type InPlaceSerde } from '../../../src/streams/state/windowed-serde.ts';
import { foldIntoWindow, windowsOf } from '../../../src/streams/state/windows.ts';

const day = 86_400_000;
const spec = { sizeMs: day, graceMs: 2 * day, retentionMs: 3 * day };

/** A sum as a float64, written in place: the kind of aggregate enrich's days are. */
const sum: InPlaceSerde<number> = {
  name: 'sum',
  serialize: (n) => {
    const out = Buffer.alloc(8);
    out.writeDoubleLE(n);
    return out;
  },
  deserialize: (data) => data!.readDoubleLE(0),
  byteLength: () => 8,
  serializeInto: (n, out, at) => out.writeDoubleLE(n, at),
};

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

/** `(a ?? 0) + n` on the sum's bytes. */
function addBytes(n: number, announced = 8): BytesFold {
  return {
    foldedLength: () => announced,
    foldInto: (view, at, _length, out, outAt) => out.writeDoubleLE((view?.getFloat64(at, true) ?? 0) + n, outAt),
  };
}

test('a fold of bytes gives the bytes of the same fold of the decoded aggregate: new, replaced, closed and expired windows alike', async () => {
  const codec = codecOf(sum);
  for (let seed = 1; seed <= 40; seed += 1) {
    let decoded: Buffer | undefined;
    let folded: Buffer | undefined;
    let n = 0;
    for (const time of times(seed, 60)) {
      n += 1;
      const expected = await foldStored(codec, decoded, time, (a) => (a ?? 0) + n);
      const next = await foldStored(codec, folded, time, addBytes(n));
      assert.is(next?.toString('hex'), expected?.toString('hex'), `seed ${seed}, record ${n} at day ${(time / day).toFixed(2)}`);
      if (!expected) continue;
      decoded = expected;
      folded = next;
    }
  }
});

test('a fold of bytes on a value in the earlier JSON layout folds it rewritten; one that writes other than it announced is an error', async () => {
  const codec = codecOf(sum);
  const legacy = Buffer.from(JSON.stringify({ observedUntil: 12 * day, windows: [[10 * day, 2], [12 * day, 4]] }));
  const next = (await foldStored(codec, legacy, 12 * day + 5, addBytes(8)))!;
  assert.equal(await codec.value.deserialize(next, 'c'), { observedUntil: 12 * day + 5, windows: [[10 * day, 2], [12 * day, 12]] }, 'the day of the record holds 4 + 8');
  await Promise.resolve()
    .then(() => foldStored(codec, next, 10 * day + 5, addBytes(1, 4)))
    .then(
    () => assert.unreachable('a fold that wrote 8 bytes after announcing 4 must not be taken'),
    (error: unknown) => assert.match(String(error), /wrote 8 bytes after announcing 4/),
  );
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
