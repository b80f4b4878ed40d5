import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { changelogConfig, serdes, StreamsBuilder } from '../../src/streams/index.ts';
import { ensureChangelogTopics } from '../../src/streams/state/changelog-topics.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';

const { ConfigResourceTypes } = kafkajs;

test('a changelog created before its settings gets the ones it lacks, and keeps an operator’s own value', async () => {
  const admin = kafkaClient().admin();
  await admin.connect();
  const name = unique('changelog-settings');
  const input = `${name}.in`;
  const builder = new StreamsBuilder(name);
  builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.json<number>() });
  builder.stream('in', { topics: [input], key: serdes.string(), value: serdes.string() }).to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  const topology = builder.build();
  const changelog = topology.stateStores[0]!.changelogTopic;
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

test.run();
