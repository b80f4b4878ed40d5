import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { changelogConfig, serdes, StreamsBuilder } from '../../src/streams/index.ts';
import type { StateEntry } from '../../src/streams/state/backend.ts';
import { kafkaChangelogReader } from '../../src/streams/state/changelog-reader.ts';
import { ensureChangelogTopics } from '../../src/streams/state/changelog-topics.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';

const { ConfigResourceTypes } = kafkajs;

/** A connected admin and a topology of one key-value store reading `<prefix>-….in`, whose changelog the test creates itself. */
async function storeTopology(prefix: string) {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique(prefix);
  const input = `${name}.in`;
  const builder = new StreamsBuilder(name);
  builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.string() });
  builder.stream('in', { topics: [input], key: serdes.string(), value: serdes.string() }).to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  const topology = builder.build();
  return { kafka, admin, name, input, topology, changelog: topology.stateStores[0]!.changelogTopic };
}

test('a changelog created before its settings gets the ones it lacks, and keeps an operator’s own value', async () => {
  const { admin, input, topology, changelog } = await storeTopology('changelog-settings');
  try {
    await createTopics(admin, [input], 2);
    // As an earlier version created it (compacted only), with an operator's own segment.ms.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.ms', value: '3600000' }] }] });
    const added = await ensureChangelogTopics(admin, topology.stateStores, topology.sourceTopics);
    assert.equal(added, [{ topic: changelog, settings: ['segment.bytes'] }], 'expected only the missing setting added');
    const [resource] = (await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: changelog, configNames: Object.keys(changelogConfig) }] })).resources;
    const settings = Object.fromEntries((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    assert.equal(settings, { 'cleanup.policy': 'compact', 'segment.ms': '3600000', 'segment.bytes': changelogConfig['segment.bytes'] }, 'expected the operator’s segment.ms kept and segment.bytes added');
    assert.equal(await ensureChangelogTopics(admin, topology.stateStores, topology.sourceTopics), [], 'expected nothing to add the second time');
  } finally {
    await admin.deleteTopics({ topics: [input, changelog] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test('the broker compacts a changelog once its segment closes: a restore reads each key’s latest value only', async () => {
  const { kafka, admin, name, input, topology, changelog } = await storeTopology('changelog-compaction');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const reader = kafkaChangelogReader(kafka, name);
  try {
    await createTopics(admin, [input]);
    // A one-second segment (an operator's override, kept), so the test need not wait ten minutes.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: changelog, numPartitions: 1, configEntries: [{ name: 'segment.ms', value: '1000' }] }] });
    await ensureChangelogTopics(admin, topology.stateStores, topology.sourceTopics);
    await producer.connect();
    const keys = 10;
    for (let round = 0; round < 100; round += 1) {
      await producer.send({ topic: changelog, acks: -1, messages: Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, value: `v${round}` })) });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await producer.send({ topic: changelog, acks: -1, messages: [{ key: 'k0', value: 'v100' }] }); // closes the segment of the 1,000
    const restored = await waitUntil(
      'the cleaner to compact the closed segment',
      async () => {
        const entries: StateEntry[] = [];
        await reader.restore(changelog, new Map([[0, undefined]]), async (_partition, batch) => {
          entries.push(...batch);
        });
        return entries.length <= keys + 1 ? entries : false;
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    const latest = new Map(restored.map((e) => [e.key.toString(), e.value?.toString()]));
    assert.equal(
      Object.fromEntries(latest),
      Object.fromEntries(Array.from({ length: keys }, (_, k) => [`k${k}`, k === 0 ? 'v100' : 'v99'])),
      'expected each key’s latest value, and nothing older',
    );
  } finally {
    await reader.close();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [input, changelog] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
