import type { Message } from 'kafkajs';

/**
 * Broker answers after which an idempotent producer's id or sequence numbers no longer match the
 * broker's: retrying with the same producer fails the same way forever.
 */
const fatalIdempotenceTypes = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/** The broker refuses the record batch for its size (the topic's `max.message.bytes`). */
const tooLargeTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** kafkajs wraps a broker's answer (KafkaJSProtocolError, with `type`) in retry errors as `cause`. */
function protocolType(error: unknown, types: ReadonlySet<string>): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const type = (current as Error & { type?: unknown }).type;
    if (typeof type === 'string' && types.has(type)) return type;
  }
  return undefined;
}

/** The broker's error name when `error` means the producer must be replaced, else undefined. */
export function fatalIdempotenceError(error: unknown): string | undefined {
  return protocolType(error, fatalIdempotenceTypes);
}

/** The broker's error name when `error` is a refusal for size, else undefined. */
export function tooLargeError(error: unknown): string | undefined {
  return protocolType(error, tooLargeTypes);
}

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
