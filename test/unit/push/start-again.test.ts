import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { startPush } from '../../../src/push/index.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { isKafkaUnavailable } from '../../../src/streams/index.ts';
import { memorySchemaStore } from '../../../src/streams/testing/index.ts';
import { freePort } from '../../support/free-port.ts';

test('a start that Kafka refused can be tried again on the same registry: it fails the same way, as Kafka unavailable, not on metrics already registered', async () => {
  const kafka = new Kafka({ clientId: 'push-test', brokers: [`127.0.0.1:${await freePort()}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 200 });
  const metrics = new Registry();
  const options = {
    auth: { secrets: ['push-start-again-secret-of-32-bytes'] },
    port: 0,
    host: '127.0.0.1',
    groupPrefix: 'push-test',
    maxBufferedBytes: 1_048_576,
    maxPending: 1_000,
    replayTimeoutMs: 1_000,
    maxConcurrentReplays: 1,
    keepAliveMs: 15_000,
    kafka,
    admin: kafka.admin(),
    schemaStore: memorySchemaStore(),
    metrics,
    log: createLogger({ level: 'silent' }),
  };
  for (const attempt of [1, 2]) {
    const error = await startPush(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error !== undefined, `attempt ${attempt}: expected the start refused`);
    assert.ok(isKafkaUnavailable(error), `attempt ${attempt}: expected Kafka unavailable, which start-up waits on; got ${String(error)}`);
  }
});

test.run();
