// The patched client keeps an incremental fetch session (KIP-227) with the broker: once caught up,
// an idle fetch's answer carries no partition at all, where a full fetch answers every assigned
// partition every time. Pausing, resuming and seeking change what the session holds; no record is
// lost or read twice on the way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reliableProducer } from '../../src/streams/producers.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { waitUntil } from './streams-support.ts';

const partitions = 24;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('idle fetches answer nothing once caught up; pause, resume and seek move the session without loss or duplicates', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const topic = unique('fetch-sessions');
  await createTopics(admin, [topic], partitions);
  // Idempotent: under load a send to the new topic can time out and be retried, and a plain
  // producer then writes a round twice, which the consumer rightly delivers twice.
  const producer = reliableProducer(kafka);
  await producer.connect();
  const consumer = kafka.consumer({ groupId: unique('fetch-sessions-group'), maxWaitTimeInMs: 50, minBytes: 1 });
  const seen = new Map<string, number>();
  const fetchAnswerBytes: number[] = [];
  consumer.on(consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'Fetch') fetchAnswerBytes.push(payload.size);
  });
  const produceRound = async (round: number) => {
    const messages = [];
    for (let partition = 0; partition < partitions; partition += 1) {
      for (let n = 0; n < 5; n += 1) messages.push({ partition, key: `${partition}`, value: `${round}-${partition}-${n}` });
    }
    await producer.send({ topic, acks: -1, messages });
  };
  const count = () => [...seen.values()].reduce((a, b) => a + b, 0);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await produceRound(1);
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        seen.set(value, (seen.get(value) ?? 0) + 1);
      },
    });
    await waitUntil(() => count() >= 120, 20_000, () => `${count()} of 120 read`);

    await delay(500);
    const idleFrom = fetchAnswerBytes.length;
    await delay(1_000);
    const idle = fetchAnswerBytes.slice(idleFrom);
    assert.ok(idle.length >= 5, `${idle.length} fetches in 1 s at a 50 ms wait`);
    // A full fetch answers each of the 24 partitions with ~40 bytes of header; a session answers none.
    assert.ok(Math.max(...idle) < 100, `idle fetch answers of ${Math.max(...idle)} bytes: partitions were listed`);

    consumer.pause([{ topic, partitions: [3] }]);
    await produceRound(2);
    await waitUntil(() => count() >= 120 + 115, 20_000, () => `${count()} of 235 read while partition 3 is paused`);
    await delay(500);
    assert.is(count(), 235, 'nothing of the paused partition is delivered');
    consumer.resume([{ topic, partitions: [3] }]);
    await waitUntil(() => count() >= 240, 20_000, () => `${count()} of 240 read after the resume`);

    consumer.seek({ topic, partition: 0, offset: '0' });
    await waitUntil(() => count() >= 250, 20_000, () => `${count()} of 250 read after seeking partition 0 to its start`);
    await delay(500);

    for (let round = 1; round <= 2; round += 1) {
      for (let partition = 0; partition < partitions; partition += 1) {
        for (let n = 0; n < 5; n += 1) {
          const times = seen.get(`${round}-${partition}-${n}`);
          assert.is(times, partition === 0 ? 2 : 1, `${round}-${partition}-${n} read ${times} times`);
        }
      }
    }
    assert.is(count(), 250);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
