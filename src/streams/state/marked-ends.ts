import type { ChangelogEntry, ChangelogReader, PartitionBounds } from './changelog-reader.ts';
import { isMarkerKey } from './chunk-state.ts';

/**
 * Offsets of a changelog partition a restore may hold in memory before it knows where the
 * partition's last input-offset marker lies. A longer restore first finds that marker
 * (`markedEnds`): a compacted changelog keeps only the latest marker of each input topic, near
 * its end, so a restore that waited for a marker held every live entry of the store in memory
 * and, stopped, kept none of them.
 */
export const unmarkedRestoreWindow = 50_000;

/**
 * Offsets read back from the end first: a chunk's changelog ends with its marker, so the last
 * marker nearly always lies within the last chunk's entries, a few thousand offsets.
 */
const firstLook = 10_000n;

/** Where a partition's last marker lies, and the marker itself. */
export interface MarkedEnd {
  /** The offset after the last marker; the range's start when it holds none. */
  readonly end: bigint;
  /** That marker as the changelog held it when found (absent when there is none). */
  readonly marker?: ChangelogEntry;
}

/**
 * For each partition of `from` whose range to restore (from its offset, else the partition's
 * start, to its end in `bounds`) is longer than `window` offsets: where the last input-offset
 * marker in that range lies. Everything below it belongs to chunks whose changes the changelog
 * holds whole, so it may be applied as it is read; only what follows it can be a chunk cut
 * short. Read from the end back, 10,000 offsets first, twice as many at each step, through
 * restores of those offsets alone.
 */
export async function markedEnds(
  changelog: ChangelogReader,
  topic: string,
  from: ReadonlyMap<number, string | undefined>,
  bounds: ReadonlyMap<number, PartitionBounds>,
  signal?: AbortSignal,
  window = unmarkedRestoreWindow,
): Promise<Map<number, MarkedEnd>> {
  const ends = new Map<number, MarkedEnd>();
  const starts = new Map<number, bigint>();
  /** Per partition still looking: where the part read so far begins. */
  const unread = new Map<number, bigint>();
  for (const [partition, offset] of from) {
    const partitionBounds = bounds.get(partition);
    if (!partitionBounds) continue;
    const low = BigInt(partitionBounds.low);
    const start = offset === undefined || BigInt(offset) < low ? low : BigInt(offset);
    const high = BigInt(partitionBounds.high);
    if (high - start <= BigInt(window)) continue;
    starts.set(partition, start);
    unread.set(partition, high);
  }
  for (let span = firstLook < BigInt(window) ? firstLook : BigInt(window); unread.size > 0; span *= 2n) {
    const scanFrom = new Map<number, string>();
    const scanBounds = new Map(bounds);
    for (const [partition, end] of unread) {
      const start = starts.get(partition)!;
      scanFrom.set(partition, (end - span > start ? end - span : start).toString());
      scanBounds.set(partition, { low: bounds.get(partition)!.low, high: end.toString() });
    }
    const found = new Map<number, ChangelogEntry>();
    await changelog.restore(
      topic,
      scanFrom,
      async (partition, entries) => {
        // In offset order: the last marker read is the latest.
        for (const entry of entries) if (isMarkerKey(entry.key)) found.set(partition, entry);
      },
      { bounds: scanBounds, signal },
    );
    for (const [partition, scannedFrom] of scanFrom) {
      const marker = found.get(partition);
      const start = starts.get(partition)!;
      if (marker !== undefined) ends.set(partition, { end: BigInt(marker.offset) + 1n, marker });
      else if (BigInt(scannedFrom) <= start) ends.set(partition, { end: start });
      else {
        unread.set(partition, BigInt(scannedFrom));
        continue;
      }
      unread.delete(partition);
    }
  }
  return ends;
}
