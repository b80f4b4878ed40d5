import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryBackend, type DeliveryMode, type StateBackend } from '../../src/streams/index.ts';
import { unique } from '../support/services.ts';
import { countingStage, produce, waitUntil } from './streams-support.ts';

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
    const name = unique(`state-apply-${delivery === 'exactly-once' ? 'eos' : 'alos'}`);
    // The second chunk's changes fail to reach local storage.
    const storage = failingWrite(2);
    const stage = await countingStage(name, [`${name}.in`], 1, { delivery, stateBackend: storage.backend });
    try {
      for (let round = 1; round <= 3; round += 1) {
        await produce(stage.kafka, `${name}.in`, keys.map((key) => ({ key, value: '1' })));
        let seen: unknown[] = [];
        await waitUntil(
          async () => {
            seen = await stage.counts(keys);
            return seen.every((value) => value === round);
          },
          30_000,
          () => `round ${round}: counts ${JSON.stringify(seen)}, ${stage.processed()} records processed, ${storage.writes()} storage writes`,
        );
      }
      assert.ok(storage.writes() >= 2, 'expected the failing write to have happened');
    } finally {
      await stage.stop();
    }
  });
}

test.run();
