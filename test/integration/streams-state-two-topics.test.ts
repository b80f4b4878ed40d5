import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { runTopology, StreamEvents } from '../../src/streams/index.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { countingTopology, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 10 }, (_, i) => `user-${i}`);
const perTopic = 2_000;

test('a store fed by two topics counts every record: chunks of one partition from both topics take turns', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-two-topics');
  const [a, b] = [`${name}.a`, `${name}.b`];
  await createTopics(admin, [a, b, `${name}.out`, `dlq.${name}`], 2);
  const events = new StreamEvents();
  let processed = 0;
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((n, c) => n + c, 0)));
  const running = await runTopology(countingTopology(name, [a, b]), { kafka: new Kafka({ clientId: name, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING }), events });
  try {
    // Both topics at once, the same keys: their chunks of one partition reach the stage together.
    const records = Array.from({ length: perTopic }, (_, i) => ({ key: keys[i % keys.length]!, value: '1' }));
    await Promise.all([produce(kafka, a, records), produce(kafka, b, records)]);
    await waitUntil(() => processed >= 2 * perTopic, 60_000, () => `${processed} of ${2 * perTopic} records processed`);
    const answers = await Promise.all(keys.map((key) => running.queryStore('counts', key)));
    assert.equal(
      answers.map((answer) => (answer.where === 'here' ? answer.value : answer.where)),
      keys.map(() => (2 * perTopic) / keys.length),
      'expected each key counted once per record of either topic',
    );
  } finally {
    await running.stop();
    await admin.deleteTopics({ topics: [a, b, `${name}.out`, `dlq.${name}`, `bridge.${name}-counts-changelog`] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
