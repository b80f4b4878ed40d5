import { isPostgresUnavailable, migrate, sinkMigrations, type MigrationOwner } from '../sink/index.ts';
import { connectionsMigrations } from '../connections/migrations.ts';
import type { StageResources } from './resources.ts';
import { waitFor } from './wait-for.ts';

/** Every owner of tables in the bridge's database, by name. */
export const migrationOwners = {
  sink: sinkMigrations,
  connections: connectionsMigrations,
} as const satisfies Record<string, MigrationOwner>;

export type MigrationOwnerName = keyof typeof migrationOwners;

/**
 * Applies one owner's pending migrations before its stage reads a record, waiting (bounded
 * backoff, logged, for as long as it takes) while Postgres does not answer.
 */
export async function applyMigrations(resources: StageResources, owner: MigrationOwnerName): Promise<void> {
  const pool = resources.pgPool();
  const { applied } = await waitFor(() => migrate({ pool, ...migrationOwners[owner] }), {
    log: resources.log,
    dependency: 'postgres',
    what: `to apply the ${owner} migrations`,
    isUnavailable: isPostgresUnavailable,
    signal: resources.signal,
  });
  resources.log.info({ owner, applied }, 'migrations up to date');
}
