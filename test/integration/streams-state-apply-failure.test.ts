import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { memoryBackend, runTopology, StreamEvents, type DeliveryMode, type StateBackend } from '../../src/streams/index.ts';
import { config, createTopics, kafkaClient, unique } from '../support/services.ts';
import { countingTopology, produce, waitUntil } from './streams-support.ts';

const keys = Array.from({ length: 10 }, (_, i) => `user-${i}`);

/**
 * Memory storage whose `failAt`-th write takes the entries and then fails, as a write-behind
 * flush that LMDB refused (a full disk) leaves them held and throws.
 */
function failingWrite(failAt: number): { backend: StateBackend; writes: () => number } {
  const inner = memoryBackend();
  let writes = 0;
  return {
    writes: () => writes,
    backend: {
      kind: inner.kind,
      async open(group, store, partition) {
        const storage = await inner.open(group, store, partition);
        return {
          ...storage,
          async write(entries, checkpoint) {
            writes += 1;
            await storage.write(entries, checkpoint);
            if (writes === failAt) throw new Error('ENOSPC: no space left on device');
          },
        };
      },
    },
  };
}

for (const delivery of ['at-least-once', 'exactly-once'] as DeliveryMode[]) {
  test(`${delivery}: local storage that fails to take a chunk the changelog holds is restored, and every record is counted once`, async () => {
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    const name = unique(`state-apply-${delivery === 'exactly-once' ? 'eos' : 'alos'}`);
    await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 1);
    const events = new StreamEvents();
    let processed = 0;
    events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((n, c) => n + c, 0)));
    // The second chunk's changes fail to reach local storage.
    const storage = failingWrite(2);
    const running = await runTopology(countingTopology(name, [`${name}.in`]), { kafka: new Kafka({ clientId: name, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING }), events, delivery, stateBackend: storage.backend });
    try {
      for (let round = 1; round <= 3; round += 1) {
        await produce(kafka, `${name}.in`, keys.map((key) => ({ key, value: '1' })));
        let seen: unknown[] = [];
        await waitUntil(
          async () => {
            seen = (await Promise.all(keys.map((key) => running.queryStore('counts', key)))).map((a) => (a.where === 'here' ? a.value : a.where));
            return seen.every((value) => value === round);
          },
          30_000,
          () => `round ${round}: counts ${JSON.stringify(seen)}, ${processed} records processed, ${storage.writes()} storage writes`,
        );
      }
      assert.ok(storage.writes() >= 2, 'expected the failing write to have happened');
    } finally {
      await running.stop();
      await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`, `bridge.${name}-counts-changelog`] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
}

test.run();
