// The patched client's offset fetch asks for stable offsets (KIP-447 require_stable): an offset a
// transaction still holds is not answered with the one from before it, so a new owner of a
// partition never resumes below outputs that are about to be committed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopics, kafkaClient, unique } from '../support/services.ts';

test('an offset fetch waits for a pending transactional offset commit and answers the committed offset', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('stable-offsets');
  const groupId = unique('stable-offsets-group');
  await createTopics(admin, [topic]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: unique('stable-offsets-tx') });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }] });
    await committed.commit();

    const pending = await producer.transaction();
    await pending.send({ topic, acks: -1, messages: [{ value: 'x' }] });
    await pending.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '10' }] }] });
    let answeredAt = 0;
    const fetched = admin.fetchOffsets({ groupId, topics: [topic] }).then((answer) => {
      answeredAt = Date.now();
      return answer[0]?.partitions.find((p) => p.partition === 0)?.offset;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const committedAt = Date.now();
    await pending.commit();

    assert.is(await fetched, '10', 'the fetch answers the offset of the transaction it waited for, not 5 from before it');
    assert.ok(answeredAt >= committedAt, `the fetch answered ${committedAt - answeredAt} ms before the transaction committed`);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
