// The broker's group.initial.rebalance.delay.ms as `bridge run` reads it at start, from the real broker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readGroupJoinDelayMs, warnOfGroupJoinDelay } from '../../src/app/group-join-delay.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { kafkaClient } from '../support/services.ts';
import { logLines } from '../support/log-lines.ts';

test('reads the setting from the broker, and warns exactly when it holds joins back', async () => {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const delayMs = await readGroupJoinDelayMs(admin);
    assert.ok(Number.isInteger(delayMs) && delayMs! >= 0, `expected a number of ms from the broker, got ${delayMs}`);
    const { lines, destination } = logLines();
    await warnOfGroupJoinDelay(admin, createLogger({ level: 'info' }, destination), 'state restore');
    const warned = lines.filter((line) => line.includes('group.initial.rebalance.delay.ms'));
    // The native stack and docker-compose set it to 0; a broker at Kafka's default gets the warning.
    assert.is(warned.length, delayMs! > 0 ? 1 : 0, `expected ${delayMs! > 0 ? 'one warning' : 'no warning'} for a delay of ${delayMs} ms, got: ${lines.join('')}`);
  } finally {
    await admin.disconnect();
  }
});

test.run();
