// The patched kafkajs metadata request: when no broker answers (one restarting, leaders being
// elected), kafkajs's broker pool gives null, and admin.listTopics then failed with a TypeError
// ("Cannot destructure property 'topicMetadata'"), which start-up took for a programming error
// and exited on. It is now retried like any "not there yet" answer, and once retries run out the
// error says Kafka is unavailable, so start-up waits.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isKafkaUnavailable } from '../../../src/streams/index.ts';

const require = createRequire(import.meta.url);
const Cluster = require('kafkajs/src/cluster/index.js') as { prototype: { metadata(this: object, options?: object): Promise<unknown> } };
const createRetry = require('kafkajs/src/retry/index.js') as (options: object) => unknown;

const clusterWith = (answers: unknown[]) => ({
  retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  brokerPool: { refreshMetadataIfNecessary: async () => undefined, withBroker: async () => answers.shift() ?? null },
});

test('a metadata request no broker answered is retried, and answers once one does', async () => {
  const metadata = { brokers: [], topicMetadata: [{ topic: 't' }] };
  assert.equal(await Cluster.prototype.metadata.call(clusterWith([null, null, metadata])), metadata, 'the third attempt’s answer');
});

test('when no broker answers at all, the error means Kafka is unavailable (start-up waits), not a TypeError', async () => {
  const error = await Cluster.prototype.metadata.call(clusterWith([])).then(() => undefined, (e: unknown) => e);
  assert.instance(error, Error);
  assert.not.instance(error, TypeError);
  assert.ok(isKafkaUnavailable(error), `${(error as Error).name}: ${(error as Error).message} is taken as Kafka unavailable`);
});

test.run();
