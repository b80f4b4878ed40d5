import { sinkStage } from '../../../topologies/sink.ts';
import { createEventWriter } from '../../sink/index.ts';
import { reportedPostgresBreaker } from '../breakers.ts';
import { applyMigrations } from '../migrations.ts';
import type { StageResources } from '../resources.ts';

/**
 * `bridge run sink`: applies the sink's migrations (waiting for Postgres to answer), then builds
 * the stage on the process's bounded pool (PG_POOL_MAX) behind the `postgres` breaker.
 */
export async function sinkStageFor(resources: StageResources): Promise<ReturnType<typeof sinkStage>> {
  await resources.startUp(() => applyMigrations(resources, 'sink'));
  const breaker = reportedPostgresBreaker(resources, 'postgres');
  return sinkStage({
    schemaStore: resources.schemaStore(),
    writer: createEventWriter({ pool: resources.pgPool(), breaker }),
    maxConcurrentWrites: resources.config.PG_POOL_MAX,
    maxBatchRecords: resources.config.SINK_BATCH_MAX,
  });
}
