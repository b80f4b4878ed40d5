import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStageResources, reportedPostgresBreaker } from '../../../src/app/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../../src/obs/metrics.ts';
import { DependencyUnavailableError } from '../../../src/streams/index.ts';

const refused = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

test('each Postgres breaker is its own and reported on bridge_breaker_state under its name', async () => {
  const metrics = createMetricsRegistry();
  const resources = createStageResources(loadConfig({}), createLogger({ level: 'silent' }), metrics, { startUp: false });
  const sink = reportedPostgresBreaker(resources, 'postgres');
  const connections = reportedPostgresBreaker(resources, 'postgres-connections');
  const gauge = async () => (await metrics.getSingleMetricAsString('bridge_breaker_state')).split('\n').filter((line) => line.startsWith('bridge_breaker_state{'));
  assert.equal(await gauge(), ['bridge_breaker_state{breaker="postgres"} 0', 'bridge_breaker_state{breaker="postgres-connections"} 0'], 'expected both reported closed at start');

  for (let i = 0; i < 5; i += 1) {
    assert.instance(await connections.run(refused).catch((e: unknown) => e), DependencyUnavailableError, 'expected a refused connection to pause, not fail the record');
  }
  assert.equal(await gauge(), ['bridge_breaker_state{breaker="postgres"} 0', 'bridge_breaker_state{breaker="postgres-connections"} 1'], "expected only the failing breaker open: verify's lookups do not pause the sink");
  assert.is(sink.state(), 'closed', "expected the sink's breaker untouched");
  await resources.close();
});

test.run();
