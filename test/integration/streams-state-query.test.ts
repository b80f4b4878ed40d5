import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { runTopology, StreamEvents, type RunningTopology } from '../../src/streams/index.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { countingTopology, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);

/** Where each instance says it serves queries: one by its URL, one by its port alone. */
const endpoints = { 'instance-a': { endpoint: 'http://enrich-a.test:9464' }, 'instance-b': { port: 19464 } } as const;

async function instance(name: string, clientId: keyof typeof endpoints, events: StreamEvents): Promise<RunningTopology> {
  const kafka = new Kafka({ clientId, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  return runTopology(countingTopology(name, [`${name}.in`]), { kafka, events, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000, queryEndpoint: endpoints[clientId] });
}

test('two instances: a key is answered where its partition lives, the other names that instance and its endpoint; a rebalance moves the state', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-query');
  await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 2);
  // A changelog with more partitions than the input (grown first, as operations.md has it): a
  // key lies where its producer put it, in the input's partitions, not by the changelog's count.
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `bridge.${name}-counts-changelog`, numPartitions: 5, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const events = new StreamEvents();
  let committed = 0;
  events.on('processed', (e) => (committed += Object.values(e.recordsIn).reduce((a, b) => a + b, 0)));
  const first = await instance(name, 'instance-a', events);
  const second = await instance(name, 'instance-b', events);
  try {
    await waitUntil(() => first.assigned().length === 1 && second.assigned().length === 1, 60_000, () => `assignments ${first.assigned().length} / ${second.assigned().length}`);
    await produce(kafka, `${name}.in`, [...keys, ...keys, ...keys].map((key) => ({ key, value: '1' })));
    await waitUntil(() => committed >= 3 * keys.length, 60_000, () => `${committed} of ${3 * keys.length} records committed`);
    await waitUntil(() => first.isReady() && second.isReady(), 30_000, () => 'both ready');

    const answers = await Promise.all(keys.map(async (key) => [await first.queryStore('counts', key), await second.queryStore('counts', key)] as const));
    for (const [i, [a, b]] of answers.entries()) {
      const here = [a, b].filter((x) => x.where === 'here');
      const elsewhere = [a, b].filter((x) => x.where === 'elsewhere');
      assert.is(here.length, 1, `${keys[i]}: exactly one instance holds it`);
      assert.is(elsewhere.length, 1, `${keys[i]}: the other names the holder`);
      assert.is(here[0]?.where === 'here' ? here[0].value : undefined, 3, `${keys[i]}: counted three times`);
      const named = elsewhere[0]?.where === 'elsewhere' ? elsewhere[0].owner : undefined;
      assert.is(named?.clientId, a.where === 'here' ? 'instance-a' : 'instance-b', `${keys[i]}: the holder is named by its client id`);
      const endpoint = a.where === 'here' ? 'http://enrich-a.test:9464' : `http://${named?.host}:19464`;
      assert.is(named?.endpoint, endpoint, `${keys[i]}: and by the endpoint it gave (its URL, or its port at the host the broker saw)`);
    }

    await second.stop(); // graceful: its partition moves to the first instance with its state
    await waitUntil(() => first.assigned().length === 2 && first.isReady(), 60_000, () => `first instance holds ${first.assigned().length} partitions`);
    const moved = await Promise.all(keys.map((key) => first.queryStore('counts', key)));
    assert.equal(
      moved.map((m) => (m.where === 'here' ? m.value : m.where)),
      keys.map(() => 3),
      'after the rebalance every count is here, restored from the changelog',
    );
    await produce(kafka, `${name}.in`, keys.map((key) => ({ key, value: '1' })));
    await waitUntil(() => committed >= 4 * keys.length, 60_000, () => `${committed} of ${4 * keys.length} records committed`);
    const after = await Promise.all(keys.map((key) => first.queryStore('counts', key)));
    assert.equal(after.map((m) => (m.where === 'here' ? m.value : m.where)), keys.map(() => 4), 'counting goes on from the moved state');
  } finally {
    await second.stop();
    await first.stop();
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`, `bridge.${name}-counts-changelog`] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
