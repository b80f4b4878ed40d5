// After exactly-once traffic upstream every partition ends with a transaction marker; a drained
// stage must commit its position past it, so the group's lag (end offset − committed) reads 0 and
// agrees with the runner's lag metric.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka } from 'kafkajs';
import { StreamsBuilder, runTopology, serdes, type DeliveryMode } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { readAll, waitUntil } from './streams-support.ts';

const partitions = 3;

/** Writes `count` records per transaction like an exactly-once stage upstream; `abort` rolls the last one back. */
async function transactionalWrites(kafka: Kafka, topic: string, transactions: number, count: number, options: { abort?: boolean } = {}): Promise<void> {
  const producer = kafka.producer({ transactionalId: unique('upstream'), idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let t = 0; t < transactions; t += 1) {
      const transaction = await producer.transaction();
      await transaction.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, n) => ({ key: `k${t}-${n}`, value: `v${t}-${n}` })) });
      if (options.abort && t === transactions - 1) await transaction.abort();
      else await transaction.commit();
    }
  } finally {
    await producer.disconnect();
  }
}

/** Per partition: end offset minus the group's committed offset, as an operator reads lag. */
async function groupLagByPartition(admin: Admin, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  const ends = await admin.fetchTopicOffsets(topic);
  return new Map(ends.map((end) => [end.partition, BigInt(end.high) - ((at.get(end.partition) ?? -1n) < 0n ? BigInt(end.low) : at.get(end.partition)!)]));
}

async function drainedRun(delivery: DeliveryMode): Promise<void> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique(`lag-${delivery}`);
  const input = `${name}.in`;
  const output = `${name}.out`;
  await createTopics(admin, [input, output, `dlq.${name}`], partitions);
  const builder = new StreamsBuilder(name);
  builder.stream('in', { topics: [input], key: serdes.string(), value: serdes.string() }).to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const running = await runTopology(builder.build(), { kafka, delivery, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  const metricLag = new Map<number, number>();
  running.events.on('processed', (e) => metricLag.set(e.partition, e.lag));
  const drained = async () => [...(await groupLagByPartition(admin, running.topology.groupId, input)).values()].every((lag) => lag === 0n);
  try {
    await transactionalWrites(kafka, input, 5, 40);
    await waitUntil(drained, 60_000, () => `group ${running.topology.groupId} never drained ${input}`);
    const ends = await admin.fetchTopicOffsets(input);
    const [committed] = await admin.fetchOffsets({ groupId: running.topology.groupId, topics: [input] });
    assert.equal(
      committed?.partitions.map((p) => [p.partition, p.offset]).sort(),
      ends.map((e) => [e.partition, e.high]).sort(),
      'expected the committed offset of every partition to equal its end offset (past the last transaction marker)',
    );
    assert.ok(ends.some((e) => Number(e.high) > 0), 'expected records on the input');
    assert.equal([...metricLag.values()], [...metricLag.values()].map(() => 0), 'expected the lag metric to read 0 on every partition, as the group does');

    // An aborted transaction after the stage drained: its fetch holds only filtered records and
    // markers, which never reach a step, and the committed position still moves to the end.
    await transactionalWrites(kafka, input, 1, 30, { abort: true });
    await waitUntil(drained, 60_000, () => `group ${running.topology.groupId} never moved past the aborted transaction on ${input}`);
    const outputs = await readAll(kafka, output);
    assert.is(outputs.length, 200, 'expected every committed record once and nothing of the aborted transaction');
    assert.not.ok(outputs.some((o) => o.value.startsWith('v5-')), 'expected no output of the aborted transaction');
  } finally {
    await running.stop();
    await admin.deleteTopics({ topics: [input, output, `dlq.${name}`] });
    await admin.disconnect();
  }
}

test('exactly-once upstream, at-least-once stage: a drained group commits past the markers, lag 0', () => drainedRun('at-least-once'));

test('exactly-once upstream, exactly-once stage: a drained group commits past the markers, lag 0', () => drainedRun('exactly-once'));

test.run();
