import type { Message } from 'kafkajs';

// A record alone in its batch: the batch header, then the record's varint lengths and deltas.
const batchHeaderBytes = 61;
const recordFramingBytes = 21;
const headerFramingBytes = 10;

const byteLength = (value: Buffer | string | null | undefined) =>
  value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** An upper bound of the bytes `message` takes on the broker when sent alone, uncompressed. */
export function recordBytes(message: Pick<Message, 'key' | 'value' | 'headers'>): number {
  let bytes = batchHeaderBytes + recordFramingBytes + byteLength(message.key) + byteLength(message.value);
  const headers = message.headers;
  // for…in and no array per header or per value: it runs for every record a stage sends.
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) {
      for (const one of value) bytes += headerFramingBytes + Buffer.byteLength(name) + byteLength(one);
    } else {
      bytes += headerFramingBytes + Buffer.byteLength(name) + byteLength(value);
    }
  }
  return bytes;
}

/**
 * Most bytes the runtime puts in one produce request when it merges chunks' outputs (or in one
 * send of a transaction): a partition's records go in one batch, which the broker refuses above
 * the topic's max.message.bytes (1 MiB by default). A chunk whose own records pass it goes in
 * several requests (the committers' runs).
 */
export const mergedRequestMaxBytes = 1_048_576;

/** Items of a run and the bytes they add up to. */
export interface Run<T> {
  readonly items: T[];
  readonly bytes: number;
}

/** `items` in order, cut into runs of at most `maxBytes` by `bytesOf` (an item larger goes alone). */
export function runsOfBytes<T>(items: readonly T[], bytesOf: (item: T) => number, maxBytes: number): Run<T>[] {
  const runs: Run<T>[] = [];
  for (let from = 0; from < items.length; ) {
    const run = runAt(items, from, bytesOf, maxBytes);
    runs.push(run);
    from += run.items.length;
  }
  return runs;
}

/** The run of `runsOfBytes` that starts at `from` (empty when nothing is left). */
export function runAt<T>(items: readonly T[], from: number, bytesOf: (item: T) => number, maxBytes: number): Run<T> {
  let end = from;
  let bytes = 0;
  for (; end < items.length; end += 1) {
    const size = bytesOf(items[end]!);
    if (end > from && bytes + size > maxBytes) break;
    bytes += size;
  }
  return { items: items.slice(from, end), bytes };
}
