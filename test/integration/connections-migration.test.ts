import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPostgresTokenSource, createTokenCipher, ConnectionRevokedError } from '../../src/connections/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { connectionsMigrations } from '../../src/connections/migrations.ts';
import { migrate } from '../../src/sink/index.ts';
import { createConnectionReplica } from '../../src/connections/replica.ts';
import { config, unique } from '../support/services.ts';

const schema = unique('connmig').replace(/-/g, '_');
const lockKey = Math.floor(Math.random() * 1_000_000_000);
let admin: pg.Pool;
let pool: pg.Pool;
let dir: string;

test.before(async () => {
  admin = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2, options: `-c search_path=${schema}` });
  dir = await mkdtemp(join(tmpdir(), 'connections-migration-'));
  await copyFile(join(connectionsMigrations.directory, '001_vendor_connections.sql'), join(dir, '001_vendor_connections.sql'));
  await migrate({ pool, directory: dir, table: `${schema}.connections_migrations`, lockKey });
  // Connections as 001 knew them: no tokens, one of them disconnected.
  await pool.query(`INSERT INTO vendor_connections (vendor, vendor_user_id, user_id) VALUES ('garmin', 'g-1', 'user-a'), ('withings', 'w-1', 'user-b')`);
  await pool.query(`INSERT INTO vendor_connections (vendor, vendor_user_id, user_id, disconnected_at) VALUES ('garmin', 'g-2', 'user-c', now())`);
});

test.after(async () => {
  await pool.end();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
});

test('002 and 003 apply over rows from 001: active or revoked, distinct ids, no tokens', async () => {
  const result = await migrate({ pool, ...connectionsMigrations, table: `${schema}.connections_migrations`, lockKey });
  assert.equal(result.applied, ['002_vendor_connection_tokens.sql', '003_vendor_connections_changes.sql'], 'expected 002 and 003 applied');
  const { rows } = await pool.query<{ vendor_user_id: string; status: string; id: string; access_token: null }>(
    'SELECT vendor_user_id, status, id, access_token FROM vendor_connections ORDER BY vendor_user_id',
  );
  assert.equal(rows.map((r) => [r.vendor_user_id, r.status, r.access_token]), [['g-1', 'active', null], ['g-2', 'revoked', null], ['w-1', 'active', null]], 'expected statuses from disconnected_at');
  assert.is(new Set(rows.map((r) => r.id)).size, 3, 'expected a distinct id per existing row');
});

test("the stages' replica reads the migrated table", async () => {
  const replica = createConnectionReplica({ pool, log: createLogger({ level: 'silent' }) });
  await replica.start();
  try {
    assert.is(replica.isConnected('garmin', 'g-1'), true, 'expected a connected 001 user still connected');
    assert.is(await replica.isConnected('garmin', 'g-2'), false, 'expected a disconnected 001 user still disconnected');
    assert.is(replica.userIdFor('garmin', 'g-2'), 'user-c', 'expected the disconnected user still mapped');
  } finally {
    replica.close();
  }
});

test('a connection without tokens (connected before the OAuth flow) asks for a reconnect, not a crash', async () => {
  const source = createPostgresTokenSource({ pool, cipher: createTokenCipher([Buffer.alloc(32, 7)]), clients: new Map(), logger: createLogger({ level: 'silent' }) });
  const connection = await source.connectionFor('garmin', 'g-1');
  assert.is(connection?.userId, 'user-a', 'expected the 001 row found as a connection');
  assert.instance(await source.accessToken(connection!).catch((e: unknown) => e), ConnectionRevokedError, 'expected ConnectionRevokedError: the user must connect through OAuth');
});

test('the constraints refuse a bad status and a token without a key id', async () => {
  const badStatus = await pool.query(`UPDATE vendor_connections SET status = 'paused' WHERE vendor_user_id = 'g-1'`).catch((e: Error) => e);
  assert.instance(badStatus, Error, 'expected an unknown status refused');
  const unkeyed = await pool.query(`UPDATE vendor_connections SET access_token = 'v1.x.y.z.w' WHERE vendor_user_id = 'g-1'`).catch((e: Error) => e);
  assert.instance(unkeyed, Error, 'expected a token without token_key_id refused');
});

test.run();
