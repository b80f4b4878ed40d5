import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deliveryModes } from '../../src/streams/delivery.ts';
import { runTopology, serdes, StreamEvents, StreamsBuilder } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { produce, readAll, waitUntil } from './streams-support.ts';

const records = 3_000;
/** Each record's stored value: 3,000 of them are about 1.6 MB of changelog for the one partition, from 100 KB of input. */
const storedValue = 'v'.repeat(500);
/** What `bridge topics create` gives the topics after the raw ones for 1 MiB bodies, about. */
const topicLimitBytes = 1_100_000;

function storing(name: string) {
  const builder = new StreamsBuilder(name);
  const latest = builder.addStateStore({ name: 'latest', key: serdes.string(), value: serdes.string() });
  builder
    .stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.string() })
    .mapValues('remember', async (value, record, ctx) => {
      await ctx.store(latest).put(record.key, storedValue);
      return value;
    })
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  return builder.build();
}

for (const mode of deliveryModes) {
  test(`${mode}: a chunk whose changelog passes the topic's record batch limit is written in several requests, not refused`, async () => {
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    const name = unique(`large-chunk-${mode}`);
    const topology = storing(name);
    const changelog = topology.stateStores[0]!.changelogTopic;
    const events = new StreamEvents();
    const crashes: string[] = [];
    events.on('crashed', (e) => crashes.push(e.error));
    let processed = 0;
    let largestChunk = 0;
    events.on('processed', (e) => {
      const chunk = Object.values(e.recordsIn).reduce((a, b) => a + b, 0);
      processed += chunk;
      largestChunk = Math.max(largestChunk, chunk);
    });
    try {
      await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`]);
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(topicLimitBytes) }] }] });
      // On the topic before the stage starts: its first fetch takes them all, one chunk.
      await produce(kafka, `${name}.in`, Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `r${i}` })));
      const running = await runTopology(topology, { kafka, events, delivery: mode });
      try {
        await waitUntil(() => processed >= records || crashes.length > 0, 60_000, () => `processed ${processed} of ${records}`);
      } finally {
        await running.stop();
      }
      assert.equal(crashes, [], 'expected the stage to keep running');
      assert.ok(largestChunk * (storedValue.length + 10) > topicLimitBytes, `expected one chunk's changelog to pass the topic's limit (largest chunk ${largestChunk} records)`);
      const stored = (await readAll(kafka, changelog)).filter((r) => r.key.startsWith('k'));
      assert.is(new Set(stored.map((r) => r.key)).size, records, 'expected every key in the changelog');
      assert.is((await readAll(kafka, `${name}.out`)).length, records, 'expected every output written');
    } finally {
      await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`, changelog] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
}

test.run();
