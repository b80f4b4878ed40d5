import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { loadConfig } from '../../../src/config/index.ts';
import { hydrateTopologiesFor } from '../../../src/app/stages/hydrate.ts';
import type { StageResources } from '../../../src/app/resources.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { serdes } from '../../../src/streams/index.ts';
import { TopologyTestDriver } from '../../../src/streams/testing/index.ts';
import { MemoryTokenSource } from '../../support/memory-token-source.ts';
import { startVendorApiSim } from '../../support/vendor-sim/api-server.ts';

// The production wiring builds from configuration alone; Redis is asked for only when limits are on.

function resources(env: Record<string, string>, redisAsked: string[]): StageResources {
  const unused = (what: string) => () => {
    redisAsked.push(what);
    throw new Error(`${what} is not used by this test`);
  };
  return {
    config: loadConfig(env),
    log: createLogger({ level: 'silent' }),
    metrics: new Registry(),
    schemaStore: unused('schema store'),
    redis: unused('redis'),
    pgPool: unused('postgres'),
    registry: unused('registry'),
    connectionReplica: unused('connection replica'),
    signal: new AbortController().signal,
    startUp: (work) => work(),
  };
}

test('the hydrate stage reads every id-only verified topic into the hydrated topics, in group bridge.hydrate', () => {
  const asked: string[] = [];
  const [topology] = hydrateTopologiesFor(resources({ HYDRATE_RATE_LIMITS: 'false' }, asked), new MemoryTokenSource());
  const described = topology.describe().toString();
  assert.is(topology.groupId, 'bridge.hydrate', 'expected the stage group');
  assert.is(topology.deadLetterTopic, 'dlq.hydrate', 'expected dlq.hydrate');
  for (const vendor of ['oura', 'whoop', 'google-health', 'polar', 'withings', 'garmin']) {
    assert.match(described, `verified.${vendor}`, `expected verified.${vendor} as a source`);
  }
  assert.match(described, 'fetch-documents', 'expected the fetch step named');
  assert.not.match(described, 'hydrate.backfill', 'expected backfill requests kept out of the live graph');
  assert.equal(asked, [], 'expected no Redis with the limits off');
});

test('backfill requests are a second graph in a group of their own, with few requests at once, dead-lettered to dlq.hydrate', () => {
  const [live, backfill] = hydrateTopologiesFor(resources({ HYDRATE_RATE_LIMITS: 'false', HYDRATE_BACKFILL_CONCURRENCY: '3' }, []), new MemoryTokenSource());
  assert.is(backfill.name, 'hydrate-backfill', 'expected the graph named for its logs and metrics');
  assert.is(backfill.groupId, 'bridge.hydrate-backfill', 'expected a group apart from the live notifications’ bridge.hydrate');
  assert.is.not(backfill.groupId, live.groupId, 'expected the two graphs in different groups');
  assert.is(backfill.deadLetterTopic, 'dlq.hydrate', 'expected the stage’s dead-letter topic');
  assert.is(backfill.recordConcurrency, 3, 'expected HYDRATE_BACKFILL_CONCURRENCY requests of a partition at once');
  assert.is(live.recordConcurrency, 32, 'expected the live graph to keep HYDRATE_RECORD_CONCURRENCY');
  const described = backfill.describe().toString();
  assert.match(described, 'hydrate.backfill', 'expected hydrate.backfill as the source');
  assert.match(described, 'fetch-backfill-window', 'expected the backfill step named');
});

test('hydrated values are held to INGRESS_MAX_BODY_BYTES, the size the hydrated topics are made for', async () => {
  const sim = await startVendorApiSim();
  try {
    const tokens = new MemoryTokenSource();
    sim.grant('google-health-token');
    tokens.connect('google-health', 'g1', 'google-health-token');
    const points = Array.from({ length: 40 }, (_, n) => ({ heartRate: { sampleTime: { physicalTime: new Date(Date.UTC(2025, 0, 15, 3, n)).toISOString() }, beatsPerMinute: '60' } }));
    sim.serve('google-health', '/v4/users/me/dataTypes/heart-rate/dataPoints', { dataPoints: points, nextPageToken: '' });
    const env = { HYDRATE_RATE_LIMITS: 'false', INGRESS_MAX_BODY_BYTES: '1000', GOOGLE_HEALTH_API_BASE_URL: sim.baseUrl('google-health') };
    const [live] = hydrateTopologiesFor(resources(env, []), tokens);
    const driver = new TopologyTestDriver(live);
    const notification = { data: { healthUserId: 'g1', operation: 'UPSERT', dataType: 'heart-rate', intervals: [{ startTime: '2025-01-15T03:00:00Z', endTime: '2025-01-15T04:00:00Z' }] } };
    await driver.inputTopic('verified.google-health', serdes.string(), serdes.bytes()).pipe({ key: 'google-health:g1', value: Buffer.from(JSON.stringify(notification)) });
    const sizes = (await driver.outputTopic('hydrated.google-health', serdes.string(), serdes.bytes()).readRecords()).map((record) => record.value?.length ?? 0);
    assert.ok(sizes.length > 1 && sizes.every((size) => size <= 1_000), `expected several values of at most 1000 bytes, got ${sizes.join(', ')}`);
  } finally {
    await sim.close();
  }
});

test('with the limits on, the stage takes Redis for the shared counters; building twice on one registry works', () => {
  const asked: string[] = [];
  const stage = resources({}, asked);
  assert.throws(() => hydrateTopologiesFor(stage, new MemoryTokenSource()), /redis is not used/, 'expected the stage to ask for Redis');
  const twice = resources({ HYDRATE_RATE_LIMITS: 'false' }, []);
  hydrateTopologiesFor(twice, new MemoryTokenSource());
  hydrateTopologiesFor(twice, new MemoryTokenSource());
  assert.ok(twice.metrics.getSingleMetric('hydrate_notifications_total'), 'expected the outcome counter registered once');
  assert.ok(twice.metrics.getSingleMetric('hydrate_backfilled_documents_total'), 'expected the backfill counter registered once');
  assert.equal(asked, ['redis'], 'expected Redis asked for once');
});

test.run();
