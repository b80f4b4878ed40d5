import { sinkStage } from '../../../topologies/sink.ts';
import { createEventWriter } from '../../sink/index.ts';
import { reportedPostgresBreaker } from '../breakers.ts';
import { applyMigrations } from '../migrations.ts';
import { postgresStartUp } from '../postgres-start-up.ts';
import type { StageResources } from '../resources.ts';

/**
 * `bridge run sink`: applies the sink's migrations, then builds the stage on the process's bounded
 * pool (PG_POOL_MAX) behind the `postgres` breaker. Started while Postgres does not answer, it
 * joins its group at once and applies them as soon as Postgres does; its writes pause meanwhile.
 */
export async function sinkStageFor(resources: StageResources): Promise<ReturnType<typeof sinkStage>> {
  const startUp = await postgresStartUp(resources, () => applyMigrations(resources, 'sink'));
  const breaker = reportedPostgresBreaker(resources, 'postgres');
  const writer = createEventWriter({ pool: resources.pgPool(), breaker });
  return sinkStage({
    schemaStore: resources.schemaStore(),
    writer: {
      write: async (rows) => {
        startUp.pending();
        return writer.write(rows);
      },
    },
    maxConcurrentWrites: resources.config.PG_POOL_MAX,
    maxBatchRecords: resources.config.SINK_BATCH_MAX,
  });
}
