// KIP-447 in the patched client: a batch carries the group membership it was fetched under, and a
// transaction's offsets sent with it (TxnOffsetCommit v3) are refused once that member has left
// the generation. This is what fences a zombie when one transactional producer serves every
// partition of a process: the group, not a transactional id per partition, decides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Consumer, ConsumerGroupMetadata, Kafka } from 'kafkajs';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { waitUntil } from './streams-support.ts';

/** A consumer of `topic` in `groupId` that remembers the membership of the latest batch it got. */
async function member(kafka: Kafka, groupId: string, topic: string): Promise<{ consumer: Consumer; latest: () => ConsumerGroupMetadata | undefined; joins: () => number }> {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, heartbeatInterval: 500, sessionTimeout: 10_000 });
  let latest: ConsumerGroupMetadata | undefined;
  let joins = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => joins++);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      latest = batch.groupMetadata;
    },
  });
  return { consumer, latest: () => latest, joins: () => joins };
}

test('offsets sent with the fetch’s generation commit; after a rebalance the old generation is refused', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('txn-generation');
  const output = `${topic}.out`;
  const groupId = unique('txn-generation-group');
  await createTopics(admin, [topic, output], 2);
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const transactional = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: unique('txn-generation') });
  await Promise.all([plain.connect(), transactional.connect()]);
  const members: Consumer[] = [];
  try {
    await plain.send({ topic, acks: -1, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
    const first = await member(kafka, groupId, topic);
    members.push(first.consumer);
    await waitUntil(() => first.latest() !== undefined, 30_000, () => 'no batch for the first member');
    const before = first.latest()!;
    assert.ok(before.generationId > 0 && before.memberId !== '', `a batch carries the membership it was fetched under, got ${JSON.stringify(before)}`);

    // The current generation: accepted.
    const accepted = await transactional.transaction();
    await accepted.send({ topic: output, acks: -1, messages: [{ value: 'accepted' }] });
    await accepted.sendOffsets({ consumerGroupId: groupId, consumerGroupMetadata: before, topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] });
    await accepted.commit();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.is(committed?.partitions.find((p) => p.partition === 0)?.offset, '1', 'the offset sent with the current generation is committed');

    // A second member joins: the group moves to a new generation and the first member's old one is gone.
    const second = await member(kafka, groupId, topic);
    members.push(second.consumer);
    await waitUntil(() => second.joins() > 0 && first.joins() > 1, 30_000, () => 'both members have not joined the new generation');

    const refused = await transactional.transaction();
    await refused.send({ topic: output, acks: -1, messages: [{ value: 'refused' }] });
    const error = await refused
      .sendOffsets({ consumerGroupId: groupId, consumerGroupMetadata: before, topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] })
      .then(() => undefined, (e: unknown) => e as { type?: string });
    await refused.abort();
    assert.ok(error, 'offsets sent with a generation the member has left must be refused');
    assert.ok(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'].includes(error.type ?? ''), `refused by the group coordinator, got ${String(error.type)}`);
    const [after] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assert.is(after?.partitions.find((p) => p.partition === 0)?.offset, '1', 'the refused transaction left the committed offset as it was');
  } finally {
    await Promise.all(members.map((consumer) => consumer.disconnect()));
    await Promise.all([plain.disconnect(), transactional.disconnect()]);
    await admin.deleteTopics({ topics: [topic, output] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
