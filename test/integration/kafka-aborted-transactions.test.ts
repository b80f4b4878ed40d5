// The patched client's read_committed fetch never delivers a record of an aborted transaction.
// A broker restart aborts every transaction open at that moment; their records interleave, and a
// consumer whose position lies inside them (it had read up to the first) must skip all of them.
// Unpatched, the fetch stepped into one aborted transaction per record, and downstream stages
// processed the others' records as committed: duplicates in exactly-once mode.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopics, kafkaClient, unique, testConsumer } from '../support/services.ts';

test('a read_committed consumer starting inside interleaved aborted transactions reads none of their records', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('aborted-txns');
  const groupId = unique('aborted-txns-group');
  await createTopics(admin, [topic]);
  const first = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: unique('aborted-a') });
  const second = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: unique('aborted-b') });
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = testConsumer(kafka, { groupId, readUncommitted: false });
  await Promise.all([first.connect(), second.connect(), plain.connect()]);
  try {
    const a = await first.transaction();
    const b = await second.transaction();
    await a.send({ topic, acks: -1, messages: [{ value: 'aborted a, offset 0' }] });
    await b.send({ topic, acks: -1, messages: [{ value: 'aborted b, offset 1' }] });
    await a.send({ topic, acks: -1, messages: [{ value: 'aborted a, offset 2' }] });
    await a.abort();
    await b.abort();
    await plain.send({ topic, acks: -1, messages: [{ value: 'committed' }] });
    // The group resumes at offset 1: inside both aborted transactions (a began at 0, b at 1).
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });

    const delivered: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async ({ message }) => void delivered.push(message.value?.toString() ?? '') });
    const deadline = Date.now() + 20_000;
    while (!delivered.includes('committed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(delivered, ['committed'], 'only the committed record, after both aborted transactions');
  } finally {
    await consumer.disconnect();
    await Promise.all([first.disconnect(), second.disconnect(), plain.disconnect()]);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
