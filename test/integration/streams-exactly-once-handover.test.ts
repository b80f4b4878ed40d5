// The exactly-once hand-over a crash or rebalance causes, staged so it happens every time: the
// previous owner of a partition commits its last transaction (outputs and input offset) after the
// new owner's consumer fetched its offsets at join, and before the new owner's transactional id
// is initialised. The new owner must resume from that transaction's offset, not from its stale
// fetch, or a read_committed reader sees those records' outputs twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Kafka, ProducerConfig } from 'kafkajs';
import { runTopology, serdes, StreamEvents, StreamsBuilder } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { committedTotal, produce, readAll, waitUntil } from './streams-support.ts';

const total = 100;
const zombieCovers = 50; // records the previous owner processed and committed

/** The client the stage uses, with transactional producers held back until `release()`. */
function holdingTransactionalInit(kafka: Kafka): { kafka: Kafka; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = Object.create(kafka) as Kafka;
  held.producer = (config?: ProducerConfig) => {
    const producer = kafka.producer(config);
    if (config?.transactionalId) {
      const connect = producer.connect.bind(producer);
      producer.connect = async () => {
        await released;
        return connect();
      };
    }
    return producer;
  };
  return { kafka: held, release };
}

test('a transaction the previous owner commits after the new owner joined is not processed again', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('eos-handover');
  const input = `${name}.in`;
  const output = `${name}.out`;
  const groupId = `${name}.group`;
  await createTopics(admin, [input, output, `${name}.dlq`], 1);
  await produce(kafka, input, Array.from({ length: total }, (_, i) => ({ key: `k${i}`, value: String(i) })));

  // The previous owner: its transaction holds outputs and the offset for the first records.
  const zombie = kafka.producer({ transactionalId: `bridge-${groupId}-${input}-0`, idempotent: true, maxInFlightRequests: 1 });
  await zombie.connect();
  const transaction = await zombie.transaction();
  await transaction.send({ topic: output, messages: Array.from({ length: zombieCovers }, (_, i) => ({ key: `k${i}`, value: `out:${i}` })) });
  await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(zombieCovers) }] }] });

  const builder = new StreamsBuilder(name, { groupId, deadLetterTopic: `${name}.dlq` });
  builder
    .stream('in', { topics: [input], key: serdes.string(), value: serdes.string() })
    .mapValues('copy', (value) => `out:${value}`)
    .to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  let joined = false;
  events.on('rebalanced', () => (joined = true));
  const held = holdingTransactionalInit(kafka);
  const running = await runTopology(builder.build(), { kafka: held.kafka, delivery: 'exactly-once', events });
  try {
    await waitUntil(() => joined, 30_000, () => 'the stage has not joined its group');
    // The consumer fetches its offsets right after the join; the pending transaction's offset is
    // not visible to that fetch. Then the previous owner's commit lands, then our fencing runs.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await transaction.commit();
    held.release();
    await waitUntil(async () => (await committedTotal(kafka, groupId, input)) >= total, 60_000, () => 'the stage has not committed every input');
  } finally {
    await running.stop();
    await zombie.disconnect();
  }
  const outputs = await readAll(kafka, output);
  const counts = new Map<string, number>();
  for (const o of outputs) counts.set(o.value, (counts.get(o.value) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([value]) => value);
  assert.equal(twice.slice(0, 5), [], `expected no output twice, ${twice.length} were`);
  assert.is(counts.size, total, 'expected an output for every input');
  await admin.deleteTopics({ topics: [input, output, `${name}.dlq`] }).catch(() => undefined);
  await admin.disconnect();
});

test.run();
