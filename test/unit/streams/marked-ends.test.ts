import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChangelogEntry, ChangelogReader, PartitionBounds } from '../../../src/streams/state/changelog-reader.ts';
import { markerKey } from '../../../src/streams/state/chunk-state.ts';
import { markedEnds } from '../../../src/streams/state/marked-ends.ts';

/** A changelog partition as offset → a store entry or a marker, with gaps where compaction removed records. */
type Partition = ReadonlyMap<number, 'entry' | 'marker'>;

/** A reader over `partitions` that hands over each range three records a batch, counting what it read. */
function reader(partitions: ReadonlyMap<number, Partition>) {
  const read: Array<{ partition: number; from: number; to: number }> = [];
  const changelog: ChangelogReader = {
    offsets: async () => bounds(partitions),
    restore: async (_topic, from, apply, options) => {
      const known = options?.bounds ?? bounds(partitions);
      for (const [partition, offset] of from) {
        const start = Math.max(Number(offset ?? known.get(partition)!.low), Number(known.get(partition)!.low));
        const end = Number(known.get(partition)!.high);
        read.push({ partition, from: start, to: end });
        const records = [...partitions.get(partition)!].filter(([at]) => at >= start && at < end).sort((a, b) => a[0] - b[0]);
        for (let i = 0; i < records.length; i += 3) {
          const batch = records.slice(i, i + 3).map(([at, kind]): ChangelogEntry => ({ key: kind === 'marker' ? markerKey('in') : Buffer.from(`k${at}`), value: Buffer.from('v'), offset: String(at) }));
          await apply(partition, batch, String(Number(batch.at(-1)!.offset) + 1));
        }
      }
    },
    close: async () => undefined,
  };
  return { changelog, read };
}

function bounds(partitions: ReadonlyMap<number, Partition>): Map<number, PartitionBounds> {
  return new Map([...partitions].map(([p, records]) => [p, { low: String(Math.min(...records.keys())), high: String(Math.max(...records.keys()) + 1) }]));
}

/** Offsets `from`..`to` (exclusive) as entries, markers at `markers`. */
function partition(from: number, to: number, markers: readonly number[], gaps: readonly number[] = []): Partition {
  const records = new Map<number, 'entry' | 'marker'>();
  for (let at = from; at < to; at += 1) if (!gaps.includes(at)) records.set(at, markers.includes(at) ? 'marker' : 'entry');
  return records;
}

test('a range within the window is not read ahead: its restore holds what follows a marker', async () => {
  const partitions = new Map([[0, partition(0, 10, [4])]]);
  const { changelog, read } = reader(partitions);
  const ends = await markedEnds(changelog, 't', new Map([[0, undefined]]), bounds(partitions), undefined, 10);
  assert.equal([...ends], []);
  assert.equal(read, [], 'nothing read');
});

test('the last marker near the end is found in the last window alone', async () => {
  const partitions = new Map([[0, partition(0, 100, [9, 49, 95])]]);
  const { changelog, read } = reader(partitions);
  const ends = await markedEnds(changelog, 't', new Map([[0, undefined]]), bounds(partitions), undefined, 10);
  assert.equal([...ends].map(([p, e]) => [p, e.end, e.marker?.offset]), [[0, 96n, '95']], 'the offset after the latest marker, and the marker');
  assert.equal(read, [{ partition: 0, from: 90, to: 100 }]);
});

test('past the window, the first look back is 10,000 offsets: the last chunk’s marker lies there', async () => {
  const partitions = new Map([[0, partition(0, 60_000, [49_999, 59_990])]]);
  const { changelog, read } = reader(partitions);
  const ends = await markedEnds(changelog, 't', new Map([[0, undefined]]), bounds(partitions));
  assert.equal([...ends].map(([p, e]) => [p, e.end]), [[0, 59_991n]]);
  assert.equal(read, [{ partition: 0, from: 50_000, to: 60_000 }], 'one look, of the last 10,000 offsets');
});

test('a marker far from the end is found by windows doubling back, each read once', async () => {
  // A compacted changelog: one marker left, long before its end, and gaps where records were.
  const partitions = new Map([[0, partition(0, 100, [20], [21, 22, 50, 97])]]);
  const { changelog, read } = reader(partitions);
  const ends = await markedEnds(changelog, 't', new Map([[0, '5']]), bounds(partitions), undefined, 10);
  assert.equal([...ends].map(([p, e]) => [p, e.end]), [[0, 21n]]);
  assert.equal(read, [{ partition: 0, from: 90, to: 100 }, { partition: 0, from: 70, to: 90 }, { partition: 0, from: 30, to: 70 }, { partition: 0, from: 5, to: 30 }], 'back from the end, each window twice the last, never before the range’s start');
});

test('a range without a marker ends at its start: none of it is known to be whole', async () => {
  const partitions = new Map([[0, partition(0, 40, [])], [1, partition(0, 40, [38])]]);
  const { changelog } = reader(partitions);
  const ends = await markedEnds(changelog, 't', new Map([[0, '3'], [1, undefined]]), bounds(partitions), undefined, 10);
  assert.equal([...ends].map(([p, e]) => [p, e.end, e.marker === undefined]).sort(), [[0, 3n, true], [1, 39n, false]]);
});

test('an aborted signal ends the search', async () => {
  const partitions = new Map([[0, partition(0, 100, [])]]);
  const stopped = new AbortController();
  const { changelog } = reader(partitions);
  const aborting: ChangelogReader = {
    ...changelog,
    restore: async (topic, from, apply, options) => {
      stopped.abort(new Error('stopping'));
      options?.signal?.throwIfAborted();
      await changelog.restore(topic, from, apply, options);
    },
  };
  await markedEnds(aborting, 't', new Map([[0, undefined]]), bounds(partitions), stopped.signal, 10).then(
    () => assert.unreachable('the search went on'),
    (error: unknown) => assert.is((error as Error).message, 'stopping'),
  );
});

test.run();
