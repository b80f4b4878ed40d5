// The patched client's idle fetch (`idleMaxWaitTimeInMs`): a consumer that gathers a trickle with a
// large minBytes and a short maxWaitTime no longer has the broker park and expire a fetch every
// maxWaitTime while nothing arrives. After a fetch that brought no records it asks for any record
// and waits up to the idle wait, so the first record after a pause is still read at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Consumer, Kafka } from 'kafkajs';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { waitUntil } from './streams-support.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Far above the few ms the broker takes to answer a fetch once a record is there. */
const idleWaitMs = 5_000;

/** A consumer of `topic` that gathers chunks (64 KiB or 10 ms), with the idle wait or without; counts its fetches and records. */
async function gatheringConsumer(kafka: Kafka, topic: string, idle: boolean): Promise<{ consumer: Consumer; fetches: () => number; received: number[] }> {
  const consumer = kafka.consumer({ groupId: unique('idle-fetch-group'), minBytes: 65_536, maxWaitTimeInMs: 10, ...(idle ? { idleMaxWaitTimeInMs: idleWaitMs } : {}) });
  let fetches = 0;
  const received: number[] = [];
  consumer.on(consumer.events.FETCH, () => {
    fetches += 1;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async () => {
      received.push(Date.now());
    },
  });
  return { consumer, fetches: () => fetches, received };
}

test('an idle consumer fetches a few times a second, not every maxWaitTime, and reads the first record after a pause at once', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('idle-fetch');
  await createTopics(admin, [topic], 1);
  const producer = reliableProducer(kafka);
  await producer.connect();
  const withIdle = await gatheringConsumer(kafka, topic, true);
  const without = await gatheringConsumer(kafka, topic, false);
  try {
    // Both joined and fetching: let them settle into idling on the empty topic, then count for 2 s.
    await waitUntil(() => withIdle.fetches() > 0 && without.fetches() > 0, 30_000, () => 'both consumers fetching');
    await delay(1_000);
    const [idleBefore, plainBefore] = [withIdle.fetches(), without.fetches()];
    await delay(2_000);
    const idleFetches = withIdle.fetches() - idleBefore;
    const plainFetches = without.fetches() - plainBefore;
    assert.ok(plainFetches >= 40, `without the idle wait a fetch every 10 ms or so: ${plainFetches} in 2 s`);
    assert.ok(idleFetches <= 2, `with a ${idleWaitMs} ms idle wait: ${idleFetches} fetches in 2 s`);

    // A 10-byte record is far below minBytes: only the idle fetch's minBytes of 1 answers it before the wait ends.
    const sentAt = Date.now();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'first' }] });
    await waitUntil(() => withIdle.received.length === 1, idleWaitMs + 10_000, () => 'the record read by the idle consumer');
    const tookMs = withIdle.received[0]! - sentAt;
    assert.ok(tookMs < idleWaitMs / 2, `read ${tookMs} ms after it was sent, not at the end of the ${idleWaitMs} ms idle wait`);

    // Records keep coming: each is read once, whatever mode the fetch that answered was in.
    for (let n = 0; n < 20; n += 1) {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `more-${n}` }] });
      await delay(n % 5 === 0 ? 50 : 5);
    }
    await waitUntil(() => withIdle.received.length >= 21 && without.received.length >= 21, 20_000, () => `${withIdle.received.length} and ${without.received.length} of 21 read`);
    await delay(200);
    assert.is(withIdle.received.length, 21, 'every record read once with the idle wait');
    assert.is(without.received.length, 21, 'every record read once without it');
  } finally {
    await withIdle.consumer.disconnect();
    await without.consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
