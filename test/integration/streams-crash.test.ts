import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeliveryMode } from '../../src/streams/index.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { follow, produce, readAll, startWorker, stopWorker, waitUntil, type Seen } from './streams-support.ts';

const worker = fileURLToPath(new URL('./streams-worker.ts', import.meta.url));
const total = 10_000;
const killAt = [1_000, 4_000, 7_000]; // outputs seen before each SIGKILL

const start = (env: Record<string, string>) => startWorker(worker, env);
const kill = stopWorker;

async function crashRun(delivery: DeliveryMode): Promise<{ outputs: Seen[]; kills: number }> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique(`crash-${delivery}`);
  const input = `${name}.in`;
  const output = `${name}.out`;
  await createTopics(admin, [input, output, `dlq.${name}`], 2);
  // One instance id across restarts (static membership): a restart takes the partitions back at
  // once, so the new owner reads its offsets while the killed one's last transaction may still be
  // completing, the hand-over exactly-once must survive.
  const env = { STREAMS_NAME: name, STREAMS_INPUT: input, STREAMS_OUTPUT: output, STREAMS_DELIVERY: delivery, STREAMS_BROKERS: config.KAFKA_BROKERS.join(','), STREAMS_INSTANCE_ID: `${name}-0` };
  const followed: Seen[] = [];
  const follower = await follow(kafka, output, delivery === 'at-least-once', followed);
  const distinct = () => new Set(followed.map((s) => s.value)).size;
  let child = start(env);
  try {
    // Records keep flowing in while the worker is killed and restarted.
    const producing = (async () => {
      for (let i = 0; i < total; i += 250) {
        await produce(kafka, input, Array.from({ length: 250 }, (_, j) => ({ key: `k${i + j}`, value: String(i + j) })));
        await new Promise((resolve) => setTimeout(resolve, 100)); // pacing the producer, not synchronising
      }
    })();
    let kills = 0;
    for (const threshold of killAt) {
      await waitUntil(() => distinct() >= threshold, 90_000, () => `${distinct()} distinct outputs, waiting for ${threshold}`);
      await kill(child, 'SIGKILL');
      kills += 1;
      child = start(env);
    }
    await producing;
    await waitUntil(() => distinct() >= total, 120_000, () => `${distinct()} of ${total} distinct outputs`);
    await kill(child, 'SIGTERM');
    await follower.disconnect();
    // The whole topic, as a downstream stage with this delivery mode would read it.
    const outputs = await readAll(kafka, output, { readUncommitted: delivery === 'at-least-once' });
    return { outputs, kills };
  } finally {
    await kill(child, 'SIGKILL');
    await follower.disconnect();
    await admin.deleteTopics({ topics: [input, output, `dlq.${name}`] });
    await admin.disconnect();
  }
}

// Both modes run at the same time (own topics, groups and workers) to halve the file's wall
// time; each test awaits its own run. The catch keeps an early failure from going unhandled
// before its test awaits it.
const runs = { 'at-least-once': crashRun('at-least-once'), 'exactly-once': crashRun('exactly-once') };
for (const run of Object.values(runs)) run.catch(() => undefined);

test('at-least-once under SIGKILL: every one of 10k inputs has at least one output', async () => {
  const { outputs, kills } = await runs['at-least-once'];
  assert.is(kills, killAt.length, 'the worker was killed mid-stream each time');
  const values = new Set(outputs.map((o) => o.value));
  const missing = Array.from({ length: total }, (_, n) => `out:${n}`).filter((v) => !values.has(v));
  assert.equal(missing.slice(0, 10), [], `no input without output (${missing.length} missing)`);
  console.log(`  at-least-once: ${outputs.length} outputs for ${total} inputs (${outputs.length - total} replayed after ${kills} kills)`);
});

test('exactly-once under SIGKILL: a read_committed reader sees exactly one output per input', async () => {
  const { outputs, kills } = await runs['exactly-once'];
  assert.is(kills, killAt.length, 'the worker was killed mid-stream each time');
  const counts = new Map<string, number>();
  for (const o of outputs) counts.set(o.value, (counts.get(o.value) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = Array.from({ length: total }, (_, n) => `out:${n}`).filter((v) => !counts.has(v));
  assert.equal(missing.slice(0, 10), [], `no input without output (${missing.length} missing)`);
  assert.equal(duplicated.slice(0, 10), [], `no input with two outputs (${duplicated.length} duplicated)`);
  assert.is(outputs.length, total, 'exactly 10k committed outputs');
});

test.run();
