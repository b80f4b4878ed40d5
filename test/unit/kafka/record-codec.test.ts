// The patched kafkajs record codec: the encoder (one exact-size buffer per record, headers written
// into it, varints written in place, small varlongs without BigInts, an uncompressed produce
// request written once into one buffer) must write what the Kafka protocol's record format says; the decoder (offsets and
// timestamps in plain numbers while exact, headers gathered in one object) must read back what
// was written; the producer's grouping by partition keeps each partition's order.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
type Headers = Record<string, string | Buffer | Array<string | Buffer>>;
type Encoded = { buffer: Buffer };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: { offsetDelta?: number; timestampDelta?: number; key: Buffer | string | null; value: Buffer | null; headers?: Headers }) => Encoded;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (decoder: unknown, context: object) => { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> };
type Encoder = {
  buffer: Buffer;
  size(): number;
  writeVarInt(value: number): Encoder;
  writeVarLong(value: number | string): Encoder;
  writeUVarInt(value: number): Encoder;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeString(value: string | null): Encoder;
  writeEncoder(value: Encoder): Encoder;
  writeArray(value: Encoder[]): Encoder;
};
const Encoder = require('kafkajs/src/protocol/encoder.js') as { new (initialSize?: number): Encoder; sizeOfVarInt(value: number): number; sizeOfVarLong(value: number | string): number };
type Message = { key: string | null; value: Buffer | null; headers?: Headers; timestamp: string };
type TopicData = Array<{ topic: string; partitions: Array<{ partition: number; firstSequence: number; messages: Message[] }> }>;
type ProduceOptions = { acks: number; timeout: number; transactionalId: string | null; producerId: unknown; producerEpoch: number; topicData: TopicData };
type Request = { apiKey: number; apiVersion: number; encode(reserved?: number): Promise<Encoder> };
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (options: ProduceOptions) => Request;
const framedRequest = require('kafkajs/src/protocol/request.js') as (args: { correlationId: number; clientId: string | null; request: Request }) => Promise<Encoder>;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(options: object): Promise<Encoder> };
const Long = require('kafkajs/src/utils/long.js') as { fromInt(value: number): unknown };
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

/** Zigzag LEB128 of a 64-bit value, as the protocol defines varlongs (a varint is the same for 32-bit values). */
function zigzagVarLong(value: bigint): number[] {
  let rest = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  return [...bytes, Number(rest)];
}

test('varints and varlongs are written as zigzag LEB128 and sized exactly, on both sides of the small-number path', () => {
  const edges = [0, 1, -1, 63, -64, 64, -65, 127, 128, 300, 8_191, 8_192, 2 ** 20, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31)];
  const random = Array.from({ length: 2_000 }, (_, i) => Math.round((Math.sin(i) * 2 ** ((i % 31) + 1))));
  const encoder = new Encoder(1); // grows as it goes: writing in place must make room first
  const expected: number[] = [];
  for (const value of [...edges, ...random]) {
    const bytes = zigzagVarLong(BigInt(value));
    assert.equal([...new Encoder().writeVarInt(value).buffer], bytes, `varint ${value}`);
    assert.is(Encoder.sizeOfVarInt(value), bytes.length, `size of varint ${value}`);
    encoder.writeVarInt(value);
    expected.push(...bytes);
  }
  for (const value of [...edges, ...random, 2 ** 40, -(2 ** 40), 1_764_806_400_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const bytes = zigzagVarLong(BigInt(value));
    assert.equal([...new Encoder().writeVarLong(value).buffer], bytes, `varlong ${value}`);
    assert.is(Encoder.sizeOfVarLong(value), bytes.length, `size of varlong ${value}`);
    encoder.writeVarLong(value);
    expected.push(...bytes);
  }
  assert.equal([...new Encoder().writeVarLong('9223372036854775807').buffer], zigzagVarLong(9223372036854775807n), 'a 64-bit varlong given as a string');
  assert.equal([...new Encoder().writeUVarInt(0xffffffff).buffer], [0xff, 0xff, 0xff, 0xff, 0x0f], 'an unsigned varint of 32 bits');
  assert.equal([...encoder.buffer], expected, 'one encoder growing across thousands of varints holds them all in order');
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
  for (const delta of [2 ** 47, -(2 ** 47), 2 ** 48 + 1, -(2 ** 48) - 1, 2 ** 52, -(2 ** 52)]) {
    assert.is(roundTrip({ ...record, timestampDelta: delta }, '0', '0').timestamp, String(delta), `a timestamp delta of ${delta}, on either side of seven varint bytes`);
  }
});

test('repeated header names gather into a list in order; headers named __proto__, constructor or toString are plain properties', () => {
  const read = roundTrip({ key: null, value: null, headers: { a: ['1', '2', '3'], b: 'x', ['__proto__']: 'p', constructor: 'c', toString: ['t1', 't2'] } as Headers }, '0', '0');
  assert.equal(read.headers['constructor'], Buffer.from('c'), 'a name Object.prototype has is not taken for a repeat');
  assert.equal(read.headers['toString'], [Buffer.from('t1'), Buffer.from('t2')]);
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

/** An uncompressed produce request built as kafkajs built it: a record batch per partition in its own encoders, copied up. */
async function producedBefore({ acks, timeout, transactionalId, producerId, producerEpoch, topicData }: ProduceOptions): Promise<Buffer> {
  const topics: Encoder[] = [];
  for (const { topic, partitions } of topicData) {
    const encoded: Encoder[] = [];
    for (const { partition, firstSequence, messages } of partitions) {
      const timestamps = messages.map((m) => m.timestamp).sort();
      const records = messages.map((m, i) => encodeRecord({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp) - Number(timestamps[0]) }) as unknown as Encoder);
      const batch = await RecordBatch({ records, firstTimestamp: timestamps[0], maxTimestamp: timestamps.at(-1), producerId, producerEpoch, firstSequence, transactional: !!transactionalId, lastOffsetDelta: records.length - 1 });
      encoded.push(new Encoder().writeInt32(partition).writeInt32(batch.size()).writeEncoder(batch));
    }
    topics.push(new Encoder().writeString(topic).writeArray(encoded));
  }
  return new Encoder().writeString(transactionalId).writeInt16(acks).writeInt32(timeout).writeArray(topics).buffer;
}

test('an uncompressed produce request written into one buffer has the bytes of the batch-by-batch encoding', async () => {
  const messages = (n: number, partition: number): Message[] =>
    Array.from({ length: n }, (_, i) => ({
      key: i % 4 === 0 ? null : `user-${partition}-${i}`,
      value: i % 9 === 0 ? null : Buffer.alloc((i * 97) % (i % 50 === 1 ? 200_000 : 3_000), i),
      headers: (i % 3 === 0 ? {} : { 'x-request-id': `r-${i}`, multi: ['a', 'bé'] }) as Headers,
      timestamp: String(1_767_225_600_000 + ((i * 7919) % 5_000)),
    }));
  const topicData: TopicData = [
    { topic: 'raw.terra', partitions: [0, 3, 5].map((partition) => ({ partition, firstSequence: partition * 100, messages: messages(60 + partition * 20, partition) })) },
    { topic: 'bridge.enrich-baselines-changelog', partitions: [{ partition: 2, firstSequence: 0, messages: messages(1, 2) }] },
  ];
  for (const transactionalId of [null, 'bridge-enrich-0']) {
    const options = { acks: -1, timeout: 30_000, transactionalId, producerId: Long.fromInt(4_242), producerEpoch: 3, topicData };
    const written = (await produceRequest(options).encode()).buffer;
    const before = await producedBefore(options);
    assert.ok(written.length > 250_000, 'values over 64 KiB included');
    assert.ok(written.equals(before), `the same ${before.length} bytes, ${transactionalId ? 'transactional' : 'idempotent'}`);
    // Framed for the wire, the payload written behind room left for the header (not copied behind it).
    for (const clientId of ['bridge-enrich', null]) {
      const framed = (await framedRequest({ correlationId: 77, clientId, request: produceRequest(options) })).buffer;
      assert.ok(framed.equals(Buffer.concat([header(before.length, 0, 3, 77, clientId), before])), `framed with ${clientId === null ? 'no' : 'a'} client id`);
    }
  }
});

/** A request's header as the protocol lays it out: size (of what follows it), api key and version, correlation id, client id. */
function header(payloadBytes: number, apiKey: number, apiVersion: number, correlationId: number, clientId: string | null): Buffer {
  const id = clientId === null ? Buffer.alloc(0) : Buffer.from(clientId, 'utf8');
  const out = Buffer.alloc(4 + 2 + 2 + 4 + 2 + id.length);
  out.writeInt32BE(out.length - 4 + payloadBytes, 0);
  out.writeInt16BE(apiKey, 4);
  out.writeInt16BE(apiVersion, 6);
  out.writeInt32BE(correlationId, 8);
  out.writeInt16BE(clientId === null ? -1 : id.length, 12);
  id.copy(out, 14);
  return out;
}

test('a request that leaves no room for its header is framed behind one', async () => {
  const payload = new Encoder().writeInt32(7).writeString('topic');
  const framed = (await framedRequest({ correlationId: 5, clientId: 'bridge', request: { apiKey: 3, apiVersion: 9, encode: async () => payload } })).buffer;
  assert.ok(framed.equals(Buffer.concat([header(payload.size(), 3, 9, 5, 'bridge'), payload.buffer])));
});

test.run();
