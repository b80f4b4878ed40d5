/**
 * The production wiring of the stages: shared clients (StageResources), the Postgres pool,
 * breakers per dependency, migrations per owner, start-up waits, and the stage registry that
 * `bridge run` and `bridge describe` read. topologies/ holds the pure graphs; this layer is the
 * only part of src/ that imports them.
 */
export { createStageResources, type ManagedResources, type StageResources, type StageResourcesOptions } from './resources.ts';
export { stageTopologies, topologies, type TopologyFactory } from './stages/index.ts';
export { applyMigrations, migrationOwners, type MigrationOwnerName } from './migrations.ts';
export { reportedPostgresBreaker } from './breakers.ts';
export { waitFor, type WaitOptions } from './wait-for.ts';
export { bindStreamMetrics } from './stream-metrics.ts';
