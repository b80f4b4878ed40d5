// The patched kafkajs record encoder (one exact-size buffer per record, headers written into it)
// must write what the Kafka protocol's record format says, and what kafkajs reads back.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
type Headers = Record<string, string | Buffer | Array<string | Buffer>>;
type Encoded = { buffer: Buffer };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: { offsetDelta?: number; timestampDelta?: number; key: Buffer | null; value: Buffer | null; headers?: Headers }) => Encoded;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as (decoder: unknown, context: object) => { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => { offset: number; readVarInt(): number };

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

test.run();
