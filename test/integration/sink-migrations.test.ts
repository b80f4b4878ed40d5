import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, MigrationError, migrationsDirectory, sinkMigrations } from '../../src/sink/index.ts';
import { connectionsMigrations } from '../../src/connections/migrations.ts';
import { config, pgPool, unique } from '../support/services.ts';

let pool: pg.Pool;
let dir: string;
let schema: string;
let table: string;
// A lock key per test run so this file never waits on (or blocks) a stage starting elsewhere.
const lockKey = Math.floor(Math.random() * 1_000_000_000);

test.before(async () => {
  pool = pgPool();
  dir = await mkdtemp(join(tmpdir(), 'migrations-'));
  schema = unique('mig').replace(/-/g, '_');
  table = `${schema}.applied`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  await writeFile(join(dir, '001_first.sql'), `CREATE TABLE ${schema}.first (id int PRIMARY KEY);`);
  await writeFile(join(dir, '002_second.sql'), `INSERT INTO ${schema}.first VALUES (1);`);
});

test.after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  await rm(dir, { recursive: true, force: true });
});

test('pending migrations apply in order and are recorded', async () => {
  const result = await migrate({ pool, directory: dir, table, lockKey });
  assert.equal(result.applied, ['001_first.sql', '002_second.sql'], 'expected both files applied in NNN order');
  const { rows } = await pool.query<{ version: number; name: string }>(`SELECT version, name FROM ${table} ORDER BY version`);
  assert.equal(rows, [{ version: 1, name: '001_first.sql' }, { version: 2, name: '002_second.sql' }], 'expected one record per file');
});

test('a second and concurrent runs apply nothing again', async () => {
  const runs = await Promise.all([1, 2, 3].map(() => migrate({ pool, directory: dir, table, lockKey })));
  for (const run of runs) {
    assert.equal(run.applied, [], 'expected nothing applied twice');
    assert.equal(run.alreadyApplied, ['001_first.sql', '002_second.sql'], 'expected both reported as already applied');
  }
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.first`);
  assert.is(rows[0]?.n, '1', 'expected the data migration to have run exactly once');
});

test('a new file is applied on the next start', async () => {
  await writeFile(join(dir, '003_third.sql'), `ALTER TABLE ${schema}.first ADD COLUMN note text;`);
  const result = await migrate({ pool, directory: dir, table, lockKey });
  assert.equal(result.applied, ['003_third.sql'], 'expected only the new file applied');
});

test('a failing migration rolls back entirely and names the file', async () => {
  await writeFile(join(dir, '004_fourth.sql'), `CREATE TABLE ${schema}.fourth (id int);`);
  await writeFile(join(dir, '005_broken.sql'), 'CREATE TABLE oops (;');
  const error = await migrate({ pool, directory: dir, table, lockKey }).catch((e: unknown) => e);
  assert.instance(error, MigrationError, 'expected a MigrationError');
  assert.match(String(error), /005_broken\.sql failed/, 'expected the failing file to be named');
  const { rows } = await pool.query(`SELECT to_regclass('${schema}.fourth') AS t`);
  assert.is(rows[0]?.t, null, 'expected 004 rolled back with the failing 005 (one transaction)');
  await rm(join(dir, '005_broken.sql'));
  await rm(join(dir, '004_fourth.sql'));
});

test('editing a landed migration stops the start', async () => {
  await writeFile(join(dir, '001_first.sql'), `CREATE TABLE ${schema}.first (id bigint PRIMARY KEY);`);
  const error = await migrate({ pool, directory: dir, table, lockKey }).catch((e: unknown) => e);
  assert.instance(error, MigrationError, 'expected a MigrationError');
  assert.match(String(error), /001_first\.sql changed after it was applied/, 'expected the edited file to be named');
});

test('a badly named file is rejected with the naming rule', async () => {
  const other = await mkdtemp(join(tmpdir(), 'migrations-'));
  try {
    await writeFile(join(other, 'add-things.sql'), 'SELECT 1;');
    const error = await migrate({ pool, directory: other, table, lockKey }).catch((e: unknown) => e);
    assert.match(String(error), /add-things\.sql: migration files must be named NNN_lower_snake_name\.sql/, 'expected the naming rule');
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('the project migrations create biometric_events with its (user_id, occurred_at) index', async () => {
  const result = await migrate({ pool });
  assert.ok(
    [...result.applied, ...result.alreadyApplied].includes('001_biometric_events.sql'),
    'expected 001_biometric_events.sql applied now or before',
  );
  const { rows } = await pool.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'biometric_events' AND indexdef LIKE '%(user_id, occurred_at)%'`,
  );
  assert.is(rows.length, 1, 'expected the (user_id, occurred_at) index');
  const recorded = await pool.query(`SELECT 1 FROM schema_migrations WHERE name = '001_biometric_events.sql'`);
  assert.is(recorded.rowCount, 1, 'expected 001 recorded exactly once');
});

/** A pool whose unqualified tables live in a schema of its own: a database of its own, in effect. */
function poolIn(schemaName: string): pg.Pool {
  return new pg.Pool({ connectionString: config.DATABASE_URL, max: 2, options: `-c search_path=${schemaName}` });
}

const tablesIn = async (schemaName: string) =>
  (await pool.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schemaName])).rows.map((r) => r.table_name);

test('a database migrated when the sink owned vendor_connections keeps working under the two owners', async () => {
  const existing = unique('mig_old').replace(/-/g, '_');
  const old = await mkdtemp(join(tmpdir(), 'migrations-old-'));
  await pool.query(`CREATE SCHEMA ${existing}`);
  const scoped = poolIn(existing);
  try {
    // The sink's folder as it was: 001 as today, 002 creating vendor_connections (as landed).
    await copyFile(join(migrationsDirectory, '001_biometric_events.sql'), join(old, '001_biometric_events.sql'));
    // The sink's 002 as landed: the same table and index, created without IF NOT EXISTS.
    const connections = await readFile(join(connectionsMigrations.directory, '001_vendor_connections.sql'), 'utf8');
    await writeFile(join(old, '002_vendor_connections.sql'), connections.replaceAll(' IF NOT EXISTS', ''));
    await migrate({ pool: scoped, directory: old, table: 'schema_migrations', lockKey });
    await scoped.query(`INSERT INTO vendor_connections (vendor, vendor_user_id, user_id) VALUES ('garmin', 'g-1', 'u-1')`);

    const sink = await migrate({ pool: scoped, ...sinkMigrations, lockKey });
    assert.equal([sink.applied, sink.alreadyApplied], [['003_soft_delete.sql'], ['001_biometric_events.sql']], 'expected the sink to find its 001 applied, 002 (moved) left alone, and 003 added');
    const moved = await migrate({ pool: scoped, ...connectionsMigrations, lockKey });
    assert.equal(moved.applied, ['001_vendor_connections.sql', '002_vendor_connection_tokens.sql', '003_vendor_connections_changes.sql'], 'expected the connections owner to record its first file (the table found), add the token columns and the change stamp');
    const { rows } = await scoped.query<{ vendor_user_id: string }>('SELECT vendor_user_id FROM vendor_connections');
    assert.equal(rows, [{ vendor_user_id: 'g-1' }], 'expected the existing connection kept');
    const recorded = await scoped.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    assert.equal(recorded.rows.map((r) => r.name), ['001_biometric_events.sql', '002_vendor_connections.sql', '003_soft_delete.sql'], "expected the sink's history kept, 003 after it");
    const again = await migrate({ pool: scoped, ...connectionsMigrations, lockKey });
    assert.equal(again.applied, [], 'expected nothing applied on the next start');
  } finally {
    await scoped.end();
    await pool.query(`DROP SCHEMA IF EXISTS ${existing} CASCADE`);
    await rm(old, { recursive: true, force: true });
  }
});

test("a fresh database gets each owner's tables from its own migrations", async () => {
  const fresh = unique('mig_new').replace(/-/g, '_');
  await pool.query(`CREATE SCHEMA ${fresh}`);
  const scoped = poolIn(fresh);
  try {
    assert.equal((await migrate({ pool: scoped, ...sinkMigrations, lockKey })).applied, ['001_biometric_events.sql', '003_soft_delete.sql'], 'expected the sink to apply its files');
    assert.equal((await migrate({ pool: scoped, ...connectionsMigrations, lockKey })).applied, ['001_vendor_connections.sql', '002_vendor_connection_tokens.sql', '003_vendor_connections_changes.sql'], 'expected connections to apply its files');
    assert.equal(
      await tablesIn(fresh),
      ['biometric_events', 'connections_migrations', 'schema_migrations', 'vendor_connections'],
      'expected each table created, with one record table per owner',
    );
  } finally {
    await scoped.end();
    await pool.query(`DROP SCHEMA IF EXISTS ${fresh} CASCADE`);
  }
});

test.run();
