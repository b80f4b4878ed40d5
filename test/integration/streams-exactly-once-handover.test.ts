// The exactly-once hand-over a crash or rebalance causes, staged so it happens every time: the
// previous owner of a partition (another process, its own transactional id) has its last
// transaction (outputs and input offset) still open when the new owner joins, and commits it
// after. The new owner must wait for that transaction and resume from its offset, not from the
// offset before it, or a read_committed reader sees those records' outputs twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTopology, serdes, StreamEvents, StreamsBuilder } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { committedTotal, produce, readAll, waitUntil } from './streams-support.ts';

const total = 100;
const zombieCovers = 50; // records the previous owner processed and committed

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
  const zombie = kafka.producer({ transactionalId: `bridge-${groupId}-previous-owner`, idempotent: true, maxInFlightRequests: 1 });
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
  let processed = 0;
  events.on('rebalanced', () => (joined = true));
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((a, b) => a + b, 0)));
  const running = await runTopology(builder.build(), { kafka, delivery: 'exactly-once', events });
  try {
    await waitUntil(() => joined, 30_000, () => 'the stage has not joined its group');
    // The new owner's offset fetch finds the offset held by the open transaction: it must wait.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.is(processed, 0, 'the stage processed records while the previous owner’s transaction held their offset');
    await transaction.commit();
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
