// recordConcurrency on the real broker: records of one partition wait on a slow lookup (as the
// hydrate stage waits on vendor APIs) several at once, each key in order, outputs in input order,
// and a lookup that finds its dependency down pauses the partition without losing or doubling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { DependencyUnavailableError, StreamsBuilder, runTopology, serdes } from '../../src/streams/index.ts';
import { committedTotal, produce, readAll, waitUntil, stageTopics } from './streams-support.ts';

const keys = 10;
const perKey = 20;

test('recordConcurrency 16, exactly-once: slow lookups overlap, each key keeps its order, an outage pauses and nothing is lost or doubled', async () => {
  const { kafka, name, input, output, remove } = await stageTopics('concurrency', 1);

  const trace = { active: 0, maxActive: 0, unavailableOnce: true };
  const builder = new StreamsBuilder(name, { recordConcurrency: 16 });
  builder
    .stream('in', { topics: [input], key: serdes.string(), value: serdes.string() })
    .mapValues('lookup', async (value) => {
      trace.active += 1;
      trace.maxActive = Math.max(trace.maxActive, trace.active);
      try {
        await delay(100); // one vendor API call
        if (value === 'k3-10' && trace.unavailableOnce) {
          trace.unavailableOnce = false;
          throw new DependencyUnavailableError('vendor-api', 300);
        }
        return `looked-up:${value}`;
      } finally {
        trace.active -= 1;
      }
    })
    .to('out', { topic: output, key: serdes.string(), value: serdes.string() });

  const running = await runTopology(builder.build(), { kafka, delivery: 'exactly-once', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  const paused = running.events.next('paused');
  // Round-robin over keys, so consecutive records have different keys.
  const values = Array.from({ length: perKey }, (_, n) => Array.from({ length: keys }, (_, k) => `k${k}-${n}`)).flat();
  try {
    // Timed from the group join on, so the time measures the lookups, not the join.
    await waitUntil(() => running.isReady(), 30_000, () => 'the stage never joined its group');
    const began = Date.now();
    await produce(kafka, input, values.map((value) => ({ key: value.split('-')[0]!, value })));
    await waitUntil(async () => (await committedTotal(kafka, running.topology.groupId, input)) >= values.length, 60_000, () => 'the stage never committed every record');
    const elapsed = Date.now() - began;
    const pause = await paused;
    assert.is(pause.dependency, 'vendor-api', 'expected the partition paused on the unavailable lookup');
    assert.ok(trace.maxActive > 1 && trace.maxActive <= 16, `expected lookups to overlap, at most 16 at once (saw ${trace.maxActive})`);
    assert.ok(elapsed < (values.length * 100) / 2, `expected ${values.length} lookups of 100 ms in well under the ${values.length / 10} s they take one by one (took ${elapsed} ms)`);

    const outputs = await readAll(kafka, output);
    assert.equal(outputs.map((o) => o.value), values.map((v) => `looked-up:${v}`), 'expected every record once, in input order (so each key in order)');
    assert.equal(outputs.map((o) => o.key), values.map((v) => v.split('-')[0]), 'expected keys kept');
  } finally {
    await running.stop();
    await remove();
  }
});

test.run();
