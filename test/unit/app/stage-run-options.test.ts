import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stageRunOptions } from '../../../src/app/stage-run-options.ts';
import { loadConfig } from '../../../src/config/index.ts';

test('a stage runs with the configured consumption: each variable reaches its runner option', () => {
  const options = stageRunOptions(
    loadConfig({
      STAGE_PARTITION_CONCURRENCY: '7',
      STAGE_TRANSACTIONAL_PRODUCERS: '3',
      KAFKA_SESSION_TIMEOUT_MS: '45000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '4000',
      STAGE_COMMIT_INTERVAL_MS: '250',
      STAGE_LINGER_MS: '5',
      STAGE_FETCH_MIN_BYTES: '32768',
      STAGE_FETCH_MAX_WAIT_MS: '20',
      STAGE_FETCH_INTERVAL_MS: '15',
      STAGE_FETCH_IDLE_WAIT_MS: '400',
      STATE_CACHE_KEYS: '5000',
      STATE_QUERY_ENDPOINT: 'http://enrich-2:9464',
    }),
  );
  assert.equal(options, {
    partitionsConsumedConcurrently: 7,
    transactionalProducers: 3,
    sessionTimeoutMs: 45_000,
    heartbeatIntervalMs: 4_000,
    commitIntervalMs: 250,
    lingerMs: 5,
    fetchMinBytes: 32_768,
    fetchMaxWaitMs: 20,
    fetchIntervalMs: 15,
    fetchIdleWaitMs: 400,
    stateCacheKeys: 5_000,
    queryEndpoint: { endpoint: 'http://enrich-2:9464' },
  });
});

test('unset, a stage consumes as the configuration documents it, not with the runtime library’s defaults', () => {
  const options = stageRunOptions(loadConfig({}));
  // The library's runTopology defaults to 3 partitions at once, fetches of 1 byte and waits of 500 ms.
  assert.is(options.partitionsConsumedConcurrently, 12);
  assert.is(options.fetchMinBytes, 65_536);
  assert.is(options.fetchMaxWaitMs, 10);
  // Named to other instances' state queries at the metrics port, on the host the broker sees.
  assert.equal(options.queryEndpoint, { port: 9464 });
});

test('METRICS_PORT=0: the query endpoint names the port the server bound, and none before it is known', () => {
  const config = loadConfig({ METRICS_PORT: '0' });
  assert.equal(stageRunOptions(config, 41234).queryEndpoint, { port: 41234 });
  assert.is(stageRunOptions(config).queryEndpoint, undefined, 'expected no endpoint rather than port 0');
});

test.run();
