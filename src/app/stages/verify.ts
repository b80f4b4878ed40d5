import { verifyTopology } from '../../../topologies/verify.ts';
import type { Topology } from '../../streams/index.ts';
import { vendors } from '../../vendors/index.ts';
import { postgresConnectionDirectory, type ConnectionDirectory } from '../../verify/connections.ts';
import { redisReplayGuard } from '../../verify/replay-guard.ts';
import { verifySettings } from '../../verify/verify-settings.ts';
import { reportedPostgresBreaker } from '../breakers.ts';
import { applyMigrations } from '../migrations.ts';
import type { StageResources } from '../resources.ts';

/**
 * `bridge run verify`: Redis replay guard, the connections directory in Postgres behind its own
 * breaker (`postgres-connections`), settings from the config. The connections migrations run
 * first, so a fresh database has vendor_connections before the first Garmin webhook.
 */
export async function verifyStage(resources: StageResources): Promise<Topology> {
  await resources.startUp(() => applyMigrations(resources, 'connections'));
  const breaker = reportedPostgresBreaker(resources, 'postgres-connections');
  const directory = postgresConnectionDirectory(resources.pgPool());
  const connections: ConnectionDirectory = { isConnected: (vendor, id) => breaker.run(() => directory.isConnected(vendor, id)) };
  return verifyTopology({
    settings: verifySettings(resources.config, (vendor) => vendors[vendor].retryHorizonMs),
    replayGuard: redisReplayGuard(resources.redis()),
    connections,
    metrics: resources.metrics,
    recordConcurrency: resources.config.VERIFY_RECORD_CONCURRENCY,
  });
}
