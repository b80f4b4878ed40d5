import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unique } from '../support/services.ts';
import { countingStage, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 10 }, (_, i) => `user-${i}`);
const perTopic = 2_000;

test('a store fed by two topics counts every record: chunks of one partition from both topics take turns', async () => {
  const name = unique('state-two-topics');
  const [a, b] = [`${name}.a`, `${name}.b`];
  const stage = await countingStage(name, [a, b], 2);
  try {
    // Both topics at once, the same keys: their chunks of one partition reach the stage together.
    const records = Array.from({ length: perTopic }, (_, i) => ({ key: keys[i % keys.length]!, value: '1' }));
    await Promise.all([produce(stage.kafka, a, records), produce(stage.kafka, b, records)]);
    await waitUntil(() => stage.processed() >= 2 * perTopic, 60_000, () => `${stage.processed()} of ${2 * perTopic} records processed`);
    assert.equal(await stage.counts(keys), keys.map(() => (2 * perTopic) / keys.length), 'expected each key counted once per record of either topic');
  } finally {
    await stage.stop();
  }
});

test.run();
