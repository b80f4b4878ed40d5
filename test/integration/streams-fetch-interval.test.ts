import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { StreamsBuilder, StreamEvents, runTopology, serdes } from '../../src/streams/index.ts';
import { waitUntil, stageTopics } from './streams-support.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

/**
 * A trickle of one record every 10 ms for 2 s through a pass-through stage that fetches with a
 * small minBytes: how many chunks it ran, and whether every record arrived.
 */
async function trickle(fetchIntervalMs: number): Promise<{ chunks: number; records: number }> {
  const { kafka, name, input, output, remove } = await stageTopics('fetch-interval', 1);
  const builder = new StreamsBuilder(name);
  builder.stream('in', { topics: [input], key: serdes.string(), value: serdes.string() }).to('out', { topic: output, key: serdes.string(), value: serdes.string() });
  const events = new StreamEvents();
  let chunks = 0;
  let records = 0;
  events.on('processed', (e) => {
    const count = Object.values(e.recordsIn).reduce((a, b) => a + b, 0);
    if (count === 0) return;
    chunks += 1;
    records += count;
  });
  const running = await runTopology(builder.build(), { kafka, events, fetchMinBytes: 1, fetchMaxWaitMs: 500, fetchIntervalMs });
  const producer = reliableProducer(kafka);
  await producer.connect();
  try {
    for (let n = 0; n < 200; n += 1) {
      await producer.send({ topic: input, acks: -1, messages: [{ key: `k${n}`, value: `v${n}` }] });
      await delay(10);
    }
    await waitUntil(() => records >= 200, 20_000, () => `${records} of 200 records processed`);
    return { chunks, records };
  } finally {
    await producer.disconnect();
    await running.stop();
    await remove();
  }
}

test('fetch interval: a trickle is read in chunks of what arrived since the last fetch, none lost', async () => {
  const spaced = await trickle(200);
  const unspaced = await trickle(0);
  assert.is(spaced.records, 200, 'every record processed once with the interval');
  assert.is(unspaced.records, 200, 'every record processed once without it');
  // 200 records over at least 2 s at one fetch per 200 ms: about a dozen chunks.
  assert.ok(spaced.chunks <= 25, `with a 200 ms interval: ${spaced.chunks} chunks`);
  assert.ok(unspaced.chunks >= 2 * spaced.chunks, `without it a fetch answers at the first record: ${unspaced.chunks} chunks against ${spaced.chunks}`);
});

test.run();
