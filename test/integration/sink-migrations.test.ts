import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { migrate, MigrationError } from '../../src/sink/index.ts';
import { pgPool, unique } from '../support/services.ts';

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
    `SELECT indexdef FROM pg_indexes WHERE tablename = 'biometric_events' AND indexdef LIKE '%(user_id, occurred_at)%'`,
  );
  assert.is(rows.length, 1, 'expected the (user_id, occurred_at) index');
  const recorded = await pool.query(`SELECT 1 FROM schema_migrations WHERE name = '001_biometric_events.sql'`);
  assert.is(recorded.rowCount, 1, 'expected 001 recorded exactly once');
});

test.run();
