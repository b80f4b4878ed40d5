import { verifyTopology } from '../../../topologies/verify.ts';
import type { Topology } from '../../streams/index.ts';
import { vendors } from '../../vendors/index.ts';
import { redisReplayGuard } from '../../verify/replay-guard.ts';
import { unsignedFromAnywhere, verifySettings } from '../../verify/index.ts';
import type { StageResources } from '../resources.ts';
import { stageConnections } from '../connection-answers.ts';

/**
 * `bridge run verify`: Redis replay guard, the process's replica of vendor_connections (read in
 * full before the first record, so a fresh database has the table before the first Garmin
 * webhook), settings from the config.
 */
export async function verifyStage(resources: StageResources): Promise<Topology> {
  const connections = await stageConnections(resources);
  const settings = verifySettings(resources.config, (vendor) => vendors[vendor].retryHorizonMs);
  for (const vendor of unsignedFromAnywhere(settings)) {
    resources.log.warn({ vendor, variable: `${vendor.toUpperCase().replaceAll('-', '_')}_SOURCE_NETWORKS` }, 'webhooks of this vendor carry no signature and are taken from any address; set its source networks');
  }
  return verifyTopology({
    settings,
    replayGuard: redisReplayGuard(resources.redis()),
    connections,
    metrics: resources.metrics,
    recordConcurrency: resources.config.VERIFY_RECORD_CONCURRENCY,
  });
}
