// The patched client's TxnOffsetCommit v3 (KIP-447), byte for byte as the Kafka protocol's
// TxnOffsetCommitRequest/Response schemas define them (flexible version: compact strings and
// arrays, tagged fields). The broker test `kafka-txn-offset-generation` shows the coordinator
// reading it; this one pins the layout of every field, so a field out of place fails here.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const require = createRequire(import.meta.url);
interface Request {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}
interface Protocol {
  request: Request;
  response: { decode(data: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}
const txnOffsetCommit = require('kafkajs/src/protocol/requests/txnOffsetCommit/index.js') as {
  versions: string[];
  protocol: (args: { version: number }) => (request: Record<string, unknown>) => Protocol;
};

const compact = (text: string) => Buffer.concat([Buffer.from([Buffer.byteLength(text) + 1]), Buffer.from(text)]);
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const noTags = Buffer.from([0]);

test('version 3 is offered, and a broker whose newest is 2 is asked with 1', () => {
  assert.ok(txnOffsetCommit.versions.includes('3'));
  const v2 = txnOffsetCommit.protocol({ version: 2 })({ transactionalId: 't', groupId: 'g', producerId: 1, producerEpoch: 0, topics: [] });
  assert.is(v2.request.apiVersion, 1);
});

test('the v3 request carries the generation, member id and group instance id in schema order', async () => {
  const { request } = txnOffsetCommit.protocol({ version: 3 })({
    transactionalId: 'tx',
    groupId: 'grp',
    producerId: 4242,
    producerEpoch: 7,
    generationId: 12,
    memberId: 'm-1',
    groupInstanceId: 'pod-a',
    topics: [{ topic: 'in', partitions: [{ partition: 3, offset: '500' }] }],
  });
  assert.is(request.apiKey, 28);
  assert.is(request.apiVersion, 3);
  const expected = Buffer.concat([
    noTags, // request header v2 tagged fields
    compact('tx'),
    compact('grp'),
    int64(4242n),
    int16(7),
    int32(12),
    compact('m-1'),
    compact('pod-a'),
    Buffer.from([2]), // one topic
    compact('in'),
    Buffer.from([2]), // one partition
    int32(3),
    int64(500n),
    int32(-1), // committed leader epoch unknown
    Buffer.from([0]), // metadata null
    noTags, // partition
    noTags, // topic
    noTags, // request
  ]);
  assert.equal([...(await request.encode()).buffer], [...expected]);
});

test('without group metadata the v3 request is the unfenced commit of the older versions', async () => {
  const { request } = txnOffsetCommit.protocol({ version: 3 })({ transactionalId: 'tx', groupId: 'grp', producerId: 1, producerEpoch: 0, topics: [] });
  const encoded = (await request.encode()).buffer;
  const afterEpoch = 1 + compact('tx').length + compact('grp').length + 8 + 2;
  assert.equal([...encoded.subarray(afterEpoch, afterEpoch + 4 + 1 + 1)], [...int32(-1), 1, 0], 'generation -1, empty member id, null instance id');
});

test('the v3 response decodes per partition, and a refused partition throws its error', async () => {
  const { response } = txnOffsetCommit.protocol({ version: 3 })({ transactionalId: 'tx', groupId: 'grp', producerId: 1, producerEpoch: 0, topics: [] });
  const answer = (errorCode: number) =>
    Buffer.concat([noTags, int32(0), Buffer.from([2]), compact('in'), Buffer.from([2]), int32(3), int16(errorCode), noTags, noTags, noTags]);
  const ok = await response.decode(answer(0));
  assert.equal(ok, { throttleTime: 0, clientSideThrottleTime: 0, topics: [{ topic: 'in', partitions: [{ partition: 3, errorCode: 0 }] }] });
  await response.parse(ok);
  const illegalGeneration = 22;
  const refused = await response.decode(answer(illegalGeneration));
  const error = await response.parse(refused).then(() => undefined, (e: unknown) => e as { type?: string });
  assert.is(error?.type, 'ILLEGAL_GENERATION');
});

test.run();
