// The patched kafkajs record codec: the encoder (one exact-size buffer per record, headers written
// into it) must write what the Kafka protocol's record format says; the decoder (offsets and
// timestamps in plain numbers while exact, headers gathered in one object) must read back what
// was written; the producer's grouping by partition keeps each partition's order.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
type Headers = Record<string, string | Buffer | Array<string | Buffer>>;
type Encoded = { buffer: Buffer };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: { offsetDelta?: number; timestampDelta?: number; key: Buffer | null; value: Buffer | null; headers?: Headers }) => Encoded;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (decoder: unknown, context: object) => { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => { offset: number; readVarInt(): number };
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: { topic: string; partitionMetadata: unknown[]; messages: Array<{ value: string }>; partitioner: (args: { message: { value: string } }) => number }) => Record<number, Array<{ value: string }>>;

/** Encodes one record and reads it back as a fetch would, in a batch starting at the given offset and time. */
function roundTrip(record: Parameters<typeof encodeRecord>[0], firstOffset: string, firstTimestamp: string) {
  const bytes = encodeRecord(record).buffer;
  const decoder = new Decoder(bytes);
  decoder.readVarInt();
  return decodeRecord(decoder, { firstOffset, firstTimestamp, magicByte: 2 });
}

test('a record is written as the protocol lays it out: length, attributes, deltas, key, value, headers', () => {
  const bytes = encodeRecord({ offsetDelta: 1, timestampDelta: 2, key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: 'b' } }).buffer;
  // varint 12 (body length), attributes 0, timestampDelta 2, offsetDelta 1, key 1 'k', value 1 'v', 1 header: 'a' → 'b' (varints zigzag)
  assert.equal([...bytes], [0x18, 0x00, 0x04, 0x02, 0x02, 0x6b, 0x02, 0x76, 0x02, 0x02, 0x61, 0x02, 0x62]);
});

test('records of every shape read back as written, each exactly as long as its length says', () => {
  for (let i = 0; i < 2_000; i++) {
    const key = i % 5 === 0 ? null : Buffer.from('k'.repeat(i % 40));
    const value = i % 11 === 0 ? null : Buffer.from('v€'.repeat(i % 900));
    const headers: Headers = i % 3 === 0 ? {} : { 'x-request-id': `id-${i}`, 'received-at': String(i), multi: ['a', 'bé'.repeat(i % 5)], raw: Buffer.from([i % 256]) };
    const bytes = encodeRecord({ offsetDelta: i % 700, timestampDelta: (i * 37) % 100_000, key, value, headers }).buffer;
    const decoder = new Decoder(bytes);
    const length = decoder.readVarInt();
    assert.is(decoder.offset + length, bytes.length, `record ${i}: its length covers exactly the rest`);
    const read = decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0', magicByte: 2 });
    assert.is(read.offset, String(i % 700), `record ${i}: offset delta`);
    assert.is(read.timestamp, String((i * 37) % 100_000), `record ${i}: timestamp delta`);
    assert.equal(read.key, key, `record ${i}: key`);
    assert.equal(read.value, value, `record ${i}: value`);
    const expected = Object.fromEntries(Object.entries(headers).map(([name, v]) => [name, Array.isArray(v) ? v.map((x) => Buffer.from(x)) : Buffer.from(v)]));
    assert.equal(read.headers, expected, `record ${i}: headers`);
  }
});

test('offsets and timestamps add exactly below and beyond 2^53; negative timestamps too', () => {
  const record = { offsetDelta: 7, timestampDelta: 1_000, key: null, value: Buffer.from('v') };
  assert.is(roundTrip(record, '41', '1764806400000').offset, '48');
  assert.is(roundTrip(record, '41', '1764806400000').timestamp, '1764806401000');
  assert.is(roundTrip(record, '9007199254740990', '-1').offset, '9007199254740997', 'beyond 2^53 the 64-bit path answers exactly');
  assert.is(roundTrip(record, '9223372036854775800', '-1').offset, '9223372036854775807');
  assert.is(roundTrip(record, '0', '-1').timestamp, '999');
  assert.is(roundTrip({ ...record, timestampDelta: 0 }, '0', '9007199254740993').timestamp, '9007199254740993');
});

test('repeated header names gather into a list in order; a header named __proto__ is a plain property', () => {
  const read = roundTrip({ key: null, value: null, headers: { a: ['1', '2', '3'], b: 'x', ['__proto__']: 'p' } as Headers }, '0', '0');
  assert.equal(read.headers['a'], [Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
  assert.equal(read.headers['b'], Buffer.from('x'));
  assert.ok(Object.prototype.hasOwnProperty.call(read.headers, '__proto__'), '__proto__ is an own property');
  assert.is(Object.getPrototypeOf(read.headers), Object.prototype, 'the prototype is untouched');
});

test('grouping messages by partition keeps each partition in send order', () => {
  const messages = Array.from({ length: 1_000 }, (_, i) => ({ value: String(i) }));
  const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}], messages, partitioner: ({ message }) => Number(message.value) % 3 });
  assert.equal(Object.keys(grouped), ['0', '1', '2']);
  for (const [partition, list] of Object.entries(grouped)) {
    assert.equal(list.map((m) => m.value), messages.filter((m) => Number(m.value) % 3 === Number(partition)).map((m) => m.value));
  }
});

test.run();
