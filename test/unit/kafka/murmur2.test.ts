// The patched kafkajs murmur2 (32-bit arithmetic instead of 64-bit Long objects) must hash as
// Kafka's Java client does, or a key would land in another partition than other clients put it
// (and than an instance's state store expects it). The partitioner looks at a message's given
// partition and its key before it lists the available partitions (keyless records only).
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Partitioners } from 'kafkajs';

const require = createRequire(import.meta.url);
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

// Computed with kafka-clients 4.1.1: Utils.murmur2(key.getBytes(UTF_8)) and toPositive(hash) % 6.
const java: Array<[string, number, number]> = [
  ['', 275646681, 3],
  ['a', -1563381124, 4],
  ['ab', 316155434, 2],
  ['abc', 479470107, 3],
  ['abcd', -1323649548, 2],
  ['abcde', 461995741, 1],
  ['user-0', 637506763, 1],
  ['user-4999', 1673205394, 4],
  ['b1f4c2a8-7d8e-4c3a-9f1e-2a6b5c4d3e2f', -915710830, 4],
  ['hrv-ünïcödé-ключ-🙂', 42884212, 4],
  ['chaos-61e0f90a-0002412', 1096470040, 4],
  ['0123456789abcdef0123456789abcdef0123456789abcdef0123', 876500783, 5],
];

test('murmur2 gives the Java client’s hash for keys of every length modulo 4 and multi-byte UTF-8', () => {
  for (const [key, hash] of java) assert.is(murmur2(Buffer.from(key, 'utf8')), hash, `hash of ${JSON.stringify(key)}`);
});

test('the default partitioner puts each key in the partition the Java client does', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }));
  for (const [key, , partition] of java) assert.is(partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }), partition, `partition of ${JSON.stringify(key)}`);
});

test('a given partition wins, a key decides without leaders, and keyless records rotate over the partitions that have a leader', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({ partitionId, leader: partitionId % 2 === 0 ? 0 : -1, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }));
  assert.is(partitioner({ topic: 't', partitionMetadata, message: { key: 'a', value: null, partition: 5 } }), 5, 'the given partition, also one without a leader');
  assert.is(partitioner({ topic: 't', partitionMetadata, message: { key: 'a', value: null } }), 4, 'the key’s partition, whether it has a leader or not');
  const keyless = Array.from({ length: 6 }, () => partitioner({ topic: 't', partitionMetadata, message: { value: null } }));
  assert.equal([...new Set(keyless)].sort(), [0, 2, 4], 'keyless records only go to partitions with a leader, each in turn');
});

test.run();
