import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DependencyUnavailableError, StreamsBuilder, StreamEvents, runTopology, serdes } from '../../src/streams/index.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { committedTotal, endOffsetsTotal, produce, readUntil, waitUntil, stageTopics } from './streams-support.ts';

test('backpressure: an unavailable dependency pauses consumption without loss or dead letters, then it resumes', async () => {
  const { kafka, admin, name, input, output, remove } = await stageTopics('backpressure', 1);

  let dependencyUp = true;
  let attemptsWhileDown = 0;
  const builder = new StreamsBuilder(name);
  builder
    .stream('in', { topics: [input], key: serdes.string(), value: serdes.string() })
    .mapAsync('lookup', async (record) => {
      if (!dependencyUp) {
        attemptsWhileDown += 1;
        throw new DependencyUnavailableError('fake-db', 300);
      }
      return record;
    })
    .to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  const paused: string[] = [];
  const resumed: string[] = [];
  const deadLettered: string[] = [];
  events.on('paused', (e) => paused.push(e.dependency));
  events.on('resumed', (e) => resumed.push(e.topic));
  events.on('dead-lettered', (e) => deadLettered.push(e.reason));
  const running = await runTopology(builder.build(), { kafka, events, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  try {
    await produce(kafka, input, Array.from({ length: 100 }, (_, n) => ({ key: `k${n}`, value: `first-${n}` })));
    await readUntil(kafka, output, (seen) => seen.length >= 100, { readUncommitted: true });

    dependencyUp = false;
    await produce(kafka, input, Array.from({ length: 100 }, (_, n) => ({ key: `k${n}`, value: `second-${n}` })));
    await waitUntil(() => paused.length >= 2 && resumed.length >= 1, 30_000, () => `paused ${paused.length}, resumed ${resumed.length}`);
    assert.is(paused[0], 'fake-db', 'the paused event names the dependency');
    assert.is(await endOffsetsTotal(kafka, output), 100, 'nothing of the second hundred was written while the dependency was down');
    const attemptsBefore = attemptsWhileDown;
    assert.ok(attemptsBefore <= paused.length, `one attempt per pause, not a busy loop (${attemptsBefore} attempts, ${paused.length} pauses)`);

    dependencyUp = true;
    const all = await readUntil(kafka, output, (seen) => new Set(seen.map((s) => s.value)).size >= 200, { readUncommitted: true });
    const second = all.filter((s) => s.value.startsWith('second-')).map((s) => s.value);
    assert.equal(second.slice(0, 3), ['second-0', 'second-1', 'second-2'], 'resumed in order from the record that failed');
    assert.is(new Set(second).size, 100, 'every record of the second hundred arrived after recovery');
    assert.equal(deadLettered, [], 'nothing dead-lettered');
    assert.is(await endOffsetsTotal(kafka, `dlq.${name}`), 0, 'the dead-letter topic is empty');
  } finally {
    await running.stop();
    await remove();
  }
});

test('backpressure: a dependency call longer than the session timeout keeps the member in its group, and each record is written once', async () => {
  const { kafka, admin, name, input, output, remove } = await stageTopics('slow-dependency', 1);

  const sessionTimeoutMs = 6_000; // the broker's least
  let slowCalls = 0;
  const builder = new StreamsBuilder(name);
  builder
    .stream('in', { topics: [input], key: serdes.string(), value: serdes.string() })
    .mapAsync('lookup', async (record) => {
      // One call that answers after half again the session timeout, as a Postgres statement
      // near its timeout does.
      if (record.value === 'slow' && slowCalls++ === 0) await delay(sessionTimeoutMs * 1.5);
      return record;
    })
    .to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  let joins = 0;
  events.on('rebalanced', () => (joins += 1));
  const running = await runTopology(builder.build(), { kafka, events, sessionTimeoutMs, heartbeatIntervalMs: 1_000, commitIntervalMs: 0 });
  try {
    await waitUntil(() => joins === 1, 30_000, () => `joined ${joins} times`);
    await produce(kafka, input, [{ key: 'a', value: 'slow' }, ...Array.from({ length: 20 }, (_, n) => ({ key: `k${n}`, value: `after-${n}` }))]);
    await waitUntil(async () => (await committedTotal(kafka, `bridge.${name}`, input)) === 21, 60_000, () => `joined ${joins} times`);
    // A reader that found every record would also have found copies written before the count settled.
    const seen = await readUntil(kafka, output, (records) => records.length >= 21, { readUncommitted: true });
    await delay(1_000);
    assert.is(await endOffsetsTotal(kafka, output), 21, `each record written once (${seen.length} read)`);
    assert.is(slowCalls, 1, 'the slow record was processed once');
    assert.is(joins, 1, 'the member never left the group');
  } finally {
    await running.stop();
    await remove();
  }
});

test.run();
