import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { lmdbBackend, runTopology, StreamEvents } from '../../src/streams/index.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { countingTopology, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const rounds = 25;

test('a store whose key cache holds fewer keys than it sees reads the others from local storage and still counts every record', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('state-cache');
  const source = `${name}.in`;
  await createTopics(admin, [source, `${name}.out`, `dlq.${name}`], 2);
  const dir = await mkdtemp(join(tmpdir(), 'state-cache-'));
  const events = new StreamEvents();
  let processed = 0;
  let storageReads = 0;
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((n, c) => n + c, 0)));
  events.on('state-storage-reads', (e) => (storageReads += e.count));
  const running = await runTopology(countingTopology(name, [source]), {
    kafka: new Kafka({ clientId: name, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING }),
    events,
    stateBackend: lmdbBackend(dir),
    stateCacheKeys: 4,
    maxBatchRecords: 50,
  });
  try {
    // Every key in turn, so each partition's twenty keys pass through a cache of four.
    const records = Array.from({ length: rounds * keys.length }, (_, i) => ({ key: keys[i % keys.length]!, value: '1' }));
    await produce(kafka, source, records);
    await waitUntil(() => processed >= records.length, 60_000, () => `${processed} of ${records.length} records processed`);
    const answers = await Promise.all(keys.map((key) => running.queryStore('counts', key)));
    assert.equal(
      answers.map((answer) => (answer.where === 'here' ? answer.value : answer.where)),
      keys.map(() => rounds),
      'expected every record counted, whether its key was in the cache or read from storage',
    );
    // A chunk's own writes are found without the cache: a key is read at most once per chunk, and
    // a cache that held every key would read each once (40).
    assert.ok(storageReads >= 5 * keys.length, `expected keys read from storage chunk after chunk past a cache of 4, not once each: ${storageReads} reads`);
  } finally {
    await running.stop();
    await rm(dir, { recursive: true, force: true });
    await admin.deleteTopics({ topics: [source, `${name}.out`, `dlq.${name}`, `bridge.${name}-counts-changelog`] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
