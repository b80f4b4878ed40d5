import type { Message } from 'kafkajs';

// A record alone in its batch: the batch header, then the record's varint lengths and deltas.
const batchHeaderBytes = 61;
const recordFramingBytes = 21;
const headerFramingBytes = 10;

const byteLength = (value: Buffer | string | null | undefined) =>
  value === null || value === undefined ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;

/** An upper bound of the bytes `message` takes on the broker when sent alone, uncompressed. */
export function recordBytes(message: Message): number {
  let bytes = batchHeaderBytes + recordFramingBytes + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) bytes += headerFramingBytes + Buffer.byteLength(name) + byteLength(one);
  }
  return bytes;
}
