import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/**
 * The sink's migrations: `NNN_name.sql`, applied in NNN order, never edited once landed. Version
 * 002 (vendor_connections) moved to its own owner (src/connections/migrations); databases that ran it
 * here keep its record, which is why the sink's next file is 003.
 */
export const migrationsDirectory = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** sha256 of the file, to notice a landed migration being edited. */
  readonly checksum: string;
}

/**
 * Who owns a set of migrations: its folder and the table recording what ran. Each owner counts
 * its versions on its own, so two owners never wait on each other's numbering.
 */
export interface MigrationOwner {
  readonly directory: string;
  readonly table: string;
}

/** The sink's own: biometric_events. */
export const sinkMigrations: MigrationOwner = { directory: migrationsDirectory, table: 'schema_migrations' };

export interface MigrateOptions {
  readonly pool: pg.Pool;
  /** The sink's folder unless said otherwise. */
  readonly directory?: string;
  /** Table recording what ran (the sink's `schema_migrations` unless said otherwise). */
  readonly table?: string;
  /** Key of the session-wide advisory lock that serialises concurrent starters. */
  readonly lockKey?: number;
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const fileName = /^(\d{3})_([a-z0-9_]+)\.sql$/;
const defaultLockKey = 0x6d_69_67_72; // "migr": any constant shared by every instance works
const identifier = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

export async function readMigrations(directory: string = migrationsDirectory): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = fileName.exec(file);
    if (!match) throw new MigrationError(`${file}: migration files must be named NNN_lower_snake_name.sql`);
    const sql = await readFile(join(directory, file), 'utf8');
    const version = Number(match[1]);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new MigrationError(`${file}: version ${match[1]} is used twice (also ${previous.name})`);
    }
    migrations.push({ version, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/**
 * Applies every pending migration in one transaction under an advisory lock, so several
 * instances starting at once neither race nor half-apply: one applies, the others wait and then
 * find nothing to do. A recorded migration whose file changed stops the start: landed files are
 * history and a fix is a new file.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const table = options.table ?? 'schema_migrations';
  if (!identifier.test(table)) throw new MigrationError(`migration table "${table}" is not a plain identifier`);
  const migrations = await readMigrations(options.directory);
  const client = await options.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [options.lockKey ?? defaultLockKey]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         version    integer     PRIMARY KEY,
         name       text        NOT NULL,
         checksum   text        NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      `SELECT version, name, checksum FROM ${table} ORDER BY version`,
    );
    // A recorded version without a file is one that moved to another owner; its record stays.
    const recorded = new Map(rows.map((row) => [row.version, row]));
    const applied: string[] = [];
    const alreadyApplied: string[] = [];
    for (const migration of migrations) {
      const done = recorded.get(migration.version);
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new MigrationError(
            `${migration.name} changed after it was applied (as ${done.name}); add a new migration instead of editing it`,
          );
        }
        alreadyApplied.push(migration.name);
        continue;
      }
      try {
        await client.query(migration.sql);
      } catch (error) {
        throw new MigrationError(`${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await client.query(`INSERT INTO ${table} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration.name);
    }
    await client.query('COMMIT');
    return { applied, alreadyApplied };
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      // The original error is the one worth reporting; attach the rollback failure to it.
      (error as Error & { rollbackError?: unknown }).rollbackError = rollbackError;
    });
    throw error;
  } finally {
    client.release();
  }
}
