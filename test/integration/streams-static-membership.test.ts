// Static membership (KIP-345, RunOptions.groupInstanceId): an instance SIGKILLed and started again
// under its id takes its own partitions back without a rebalance, so the other instance never
// stops, and without waiting out the session of the member that died.
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { config } from '../support/services.ts';
import { follow, produce, startWorker, stopWorker, waitUntil, type Seen, stageTopics } from './streams-support.ts';

const worker = fileURLToPath(new URL('./streams-worker.ts', import.meta.url));
const sessionTimeoutMs = 30_000; // the stages' default: what a restart waited for before

/** Every assignment a worker printed (`ready [partitions]`), in order. */
function assignments(child: ChildProcess): number[][] {
  const seen: number[][] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('ready ')) seen.push(JSON.parse(line.slice(6)) as number[]);
  });
  return seen;
}

test('a SIGKILLed instance restarted under its group.instance.id gets its partitions back before the session would expire, and the other instance is not rebalanced', async () => {
  const { kafka, name, input, output, remove } = await stageTopics('static', 4);
  const base = { STREAMS_NAME: name, STREAMS_INPUT: input, STREAMS_OUTPUT: output, STREAMS_DELIVERY: 'at-least-once', STREAMS_BROKERS: config.KAFKA_BROKERS.join(','), STREAMS_SESSION_TIMEOUT_MS: String(sessionTimeoutMs) };
  const children: ChildProcess[] = [];
  const start = (id: string) => {
    const child = startWorker(worker, { ...base, STREAMS_INSTANCE_ID: `${name}-${id}` });
    children.push(child);
    return { child, assigned: assignments(child) };
  };
  const seen: Seen[] = [];
  const follower = await follow(kafka, output, true, seen);
  try {
    const a = start('a');
    const b = start('b');
    const settled = () => a.assigned.length > 0 && b.assigned.length > 0 && a.assigned.at(-1)!.length + b.assigned.at(-1)!.length === 4;
    await waitUntil(settled, 60_000, () => `a: ${JSON.stringify(a.assigned)}, b: ${JSON.stringify(b.assigned)}`);
    await produce(kafka, input, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` })));
    await waitUntil(() => seen.length >= 200, 60_000, () => `${seen.length} of 200 outputs before the kill`);
    const partitionsOfA = a.assigned.at(-1)!;
    const rebalancesOfB = b.assigned.length;

    await stopWorker(a.child, 'SIGKILL');
    const restartedAt = Date.now();
    const again = start('a');
    await waitUntil(() => again.assigned.length > 0, sessionTimeoutMs, () => 'the restarted instance has no partitions yet');
    const backAfterMs = Date.now() - restartedAt;
    assert.ok(backAfterMs < sessionTimeoutMs, `expected the partitions back before the dead member's session expired, took ${backAfterMs} ms`);
    assert.equal(again.assigned[0], partitionsOfA, 'expected the restarted instance to get exactly its own partitions back');
    await produce(kafka, input, Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `after-${i}` })));
    await waitUntil(() => seen.filter((s) => s.value.startsWith('out:after-')).length >= 200, 60_000, () => 'outputs after the restart');
    assert.is(b.assigned.length, rebalancesOfB, `expected no rebalance of the other instance, saw ${JSON.stringify(b.assigned)}`);
    console.log(`static membership: the restarted instance had its partitions ${backAfterMs} ms after it was started`);
  } finally {
    await follower.disconnect();
    await Promise.all(children.map((child) => stopWorker(child, 'SIGKILL')));
    await remove();
  }
});

test.run();
