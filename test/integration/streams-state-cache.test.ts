import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lmdbBackend } from '../../src/streams/index.ts';
import { unique } from '../support/services.ts';
import { countingStage, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const rounds = 25;

test('a store whose key cache holds fewer keys than it sees reads the others from local storage and still counts every record', async () => {
  const name = unique('state-cache');
  const source = `${name}.in`;
  const dir = await mkdtemp(join(tmpdir(), 'state-cache-'));
  const stage = await countingStage(name, [source], 2, { stateBackend: lmdbBackend(dir), stateCacheKeys: 4, maxBatchRecords: 50 });
  let storageReads = 0;
  stage.events.on('state-storage-reads', (e) => (storageReads += e.count));
  try {
    // Every key in turn, so each partition's twenty keys pass through a cache of four.
    const records = Array.from({ length: rounds * keys.length }, (_, i) => ({ key: keys[i % keys.length]!, value: '1' }));
    await produce(stage.kafka, source, records);
    await waitUntil(() => stage.processed() >= records.length, 60_000, () => `${stage.processed()} of ${records.length} records processed`);
    assert.equal(await stage.counts(keys), keys.map(() => rounds), 'expected every record counted, whether its key was in the cache or read from storage');
    // A chunk's own writes are found without the cache: a key is read at most once per chunk, and
    // a cache that held every key would read each once (40).
    assert.ok(storageReads >= 5 * keys.length, `expected keys read from storage chunk after chunk past a cache of 4, not once each: ${storageReads} reads`);
  } finally {
    await stage.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
