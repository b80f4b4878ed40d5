import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamsBuilder, StreamEvents, runTopology, serdes } from '../../src/streams/index.ts';
import { committedTotal, endOffsetsTotal, produce, readUntil, waitUntil, stageTopics } from './streams-support.ts';

for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  test(`graceful shutdown (${delivery}): a clean stop commits what was processed; a restart reprocesses nothing`, async () => {
    const { kafka, name, input, output, remove } = await stageTopics('shutdown', 2);
    const processed: string[] = [];
    const topology = () => {
      const builder = new StreamsBuilder(name);
      builder
        .stream('in', { topics: [input], key: serdes.string(), value: serdes.string() })
        .peek('track', (record) => void processed.push(record.value ?? ''))
        .to('out', { topic: output, key: serdes.string(), value: serdes.string() });
      return builder.build();
    };
    const options = { kafka, delivery, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, maxBatchRecords: 50 };
    try {
      await produce(kafka, input, Array.from({ length: 1_000 }, (_, n) => ({ key: `k${n}`, value: `v${n}` })));
      const first = await runTopology(topology(), options);
      // Stop while records are still flowing, not after the topic drained.
      await waitUntil(() => processed.length >= 200, 30_000, () => `${processed.length} processed`);
      await first.stop();
      const processedByFirst = processed.length;
      assert.ok(processedByFirst < 1_000, `stopped mid-stream (${processedByFirst} processed)`);
      assert.is(await committedTotal(kafka, `bridge.${name}`, input), processedByFirst, 'every processed record is committed on stop');
      assert.is(await endOffsetsTotal(kafka, output) >= processedByFirst, true, 'every processed record has its output');

      const events = new StreamEvents();
      const second = await runTopology(topology(), { ...options, events });
      await waitUntil(() => processed.length >= 1_000, 30_000, () => `${processed.length} processed`);
      await second.stop();
      assert.is(processed.length, 1_000, 'no record processed twice across the clean restart');
      assert.is(new Set(processed).size, 1_000, 'every record processed once');
      const outputs = await readUntil(kafka, output, (seen) => seen.length >= 1_000);
      assert.is(outputs.length, 1_000, 'one output per input');
    } finally {
      await remove();
    }
  });
}

test.run();
