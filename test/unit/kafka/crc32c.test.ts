// The patched kafkajs CRC-32C (@node-rs/crc32's native one), which the producer computes over
// every record batch it sends: the broker refuses a batch whose checksum is wrong, so it must
// equal CRC-32C exactly.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78): slow, and independent of any table. */
function reference(buffer: Buffer): number {
  let crc = ~0;
  for (const byte of buffer) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('the check value and the RFC 3720 vectors', () => {
  assert.is(crc32C(Buffer.from('123456789')), 0xe3069283, 'CRC-32C check value');
  assert.is(crc32C(Buffer.alloc(0)), 0, 'empty');
  assert.is(crc32C(Buffer.alloc(32, 0)), 0x8a9136aa, '32 zero bytes');
  assert.is(crc32C(Buffer.alloc(32, 0xff)), 0x62a8ab43, '32 bytes of 0xff');
  assert.is(crc32C(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e, 'bytes 0 to 31');
});

test('every length and alignment agrees with the bit-by-bit reference', () => {
  const pool = randomBytes(4_096);
  for (let length = 0; length <= 70; length++) {
    for (const offset of [0, 1, 3, 7]) {
      const slice = pool.subarray(offset, offset + length);
      assert.is(crc32C(slice), reference(slice), `${length} bytes at offset ${offset}`);
    }
  }
  assert.is(crc32C(pool), reference(pool), 'a 4 KiB buffer');
});

test.run();
