// The patched client's offset fetch asks for stable offsets (KIP-447 require_stable): an offset a
// transaction still holds is not answered with the one from before it, so a new owner of a
// partition never resumes below outputs that are about to be committed. The exactly-once
// committer's read asks for its partitions alone, so another member's transaction on another
// partition of the topic does not hold it up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Transaction } from 'kafkajs';
import { fetchStableOffsets } from '../../src/streams/stable-offsets.ts';
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

test('the committer’s stable read of a partition answers at once while a transaction holds another partition of the topic', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('stable-partitions');
  const groupId = unique('stable-partitions-group');
  await createTopics(admin, [topic], 2);
  // The stages' transaction timeout: a read held up by the open transaction would wait this long.
  const transactionTimeout = 10_000;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: unique('stable-partitions-tx'), transactionTimeout });
  await producer.connect();
  let pending: Transaction | undefined;
  const reads: Array<Promise<unknown>> = [];
  try {
    const committed = await producer.transaction();
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] }] });
    await committed.commit();

    // Another member's transaction, open: it holds partition 1's offset only.
    pending = await producer.transaction();
    await pending.send({ topic, acks: -1, messages: [{ value: 'x', partition: 1 }] });
    await pending.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 1, offset: '12' }] }] });

    // Raced against a quarter of the transaction timeout: a read held up by the transaction fails
    // here, not once the transaction ends.
    const limitMs = transactionTimeout / 4;
    let limit: NodeJS.Timeout | undefined;
    const partition0 = fetchStableOffsets(admin, groupId, [{ topic, partition: 0 }]);
    reads.push(partition0);
    const early = await Promise.race([partition0, new Promise<undefined>((resolve) => (limit = setTimeout(resolve, limitMs, undefined)))]);
    clearTimeout(limit);
    assert.ok(early, `reading partition 0 answers within ${limitMs} ms, while the transaction holding partition 1 is open`);
    assert.equal([...early], [[`${topic}/0`, 5n]], 'partition 0’s committed offset, and no other partition');

    let answeredAt = 0;
    const partition1 = fetchStableOffsets(admin, groupId, [{ topic, partition: 1 }]).then((offsets) => {
      answeredAt = Date.now();
      return offsets;
    });
    reads.push(partition1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.is(answeredAt, 0, 'reading partition 1 waits while the transaction holds its offset');
    const committedAt = Date.now();
    await pending.commit();

    assert.equal([...(await partition1)], [[`${topic}/1`, 12n]], 'the offset of the transaction it waited for, not 7 from before it');
    assert.ok(answeredAt >= committedAt, `reading partition 1 answered ${committedAt - answeredAt} ms before the transaction committed`);
  } finally {
    // An assertion that failed above leaves the transaction open: ended, the reads still waiting
    // answer, and are let finish before their client disconnects.
    if (pending?.isActive()) await pending.abort().catch(() => undefined);
    await Promise.allSettled(reads);
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
