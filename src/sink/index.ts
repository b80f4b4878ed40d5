export { migrate, readMigrations, migrationsDirectory, sinkMigrations, MigrationError, type Migration, type MigrationOwner, type MigrateOptions, type MigrateResult } from './migrations.ts';
export { toEventRow, type EventRow, type SourcePosition } from './event-rows.ts';
export { createEventWriter, type EventWriter, type EventWriterOptions } from './event-writer.ts';
export { createPostgresBreaker, isPostgresUnavailable, type PostgresBreaker, type PostgresBreakerOptions } from './postgres-breaker.ts';
export { createPostgresPool, type PostgresPoolOptions } from './postgres-pool.ts';
