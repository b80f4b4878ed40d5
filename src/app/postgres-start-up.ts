import { isPostgresUnavailable } from '../sink/postgres-breaker.ts';
import { DependencyUnavailableError } from '../streams/index.ts';
import type { StageResources } from './resources.ts';

/** How long a record waits before it is tried again while the stage's Postgres start-up is pending. */
export const postgresRetryAfterMs = 1_000;

/** Whether Postgres answers now (one statement; no wait). */
async function postgresAnswers(resources: StageResources): Promise<boolean> {
  try {
    await resources.pgPool().query('SELECT 1');
    return true;
  } catch (error) {
    if (isPostgresUnavailable(error)) return false;
    throw error;
  }
}

/**
 * A stage's start-up work on Postgres (migrations, reading a table), done before the first record
 * when Postgres answers. When it does not, the stage starts anyway and the work runs as soon as
 * Postgres answers: a stage restarted during a Postgres outage otherwise stayed out of its group
 * until the outage ended. `pending()` throws DependencyUnavailableError (pausing the record's
 * partition) until the work is done; records that need no Postgres go on meanwhile.
 */
export async function postgresStartUp(resources: StageResources, work: () => Promise<void>): Promise<{ pending(): void }> {
  let done = false;
  await resources.startUp(async () => {
    const running = work().then(() => {
      done = true;
    });
    // Handled below either way; until then a quick failure must not count as unhandled.
    running.catch(() => undefined);
    if (await postgresAnswers(resources)) return running;
    resources.log.warn({ dependency: 'postgres' }, 'postgres does not answer; the stage starts, and records that need it wait for it');
    running.catch((error: unknown) => {
      // Only a stop ends the wait for Postgres; anything else is a fault of the migrations or the tables.
      if (!resources.signal.aborted) resources.log.error({ error: error instanceof Error ? error.message : String(error) }, 'the stage’s Postgres start-up failed; records that need Postgres stay paused');
    });
  });
  return {
    pending() {
      if (!done) throw new DependencyUnavailableError('postgres', postgresRetryAfterMs);
    },
  };
}
