import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { Registry } from 'prom-client';
import { ConnectionsUnreadableError, createConnectionReplica, createTokenCipher, revokeConnectionRow, saveConnection } from '../../src/connections/index.ts';
import { config } from '../support/services.ts';
import { eventually } from './ingress-support.ts';
import { capturedLogger, isolatedConnectionsDb, type ConnectionsDb } from './connections-support.ts';

// verify and normalize answer from a replica of vendor_connections: read in pages at start, then
// followed by the rows changed since the last read, and kept while Postgres is away.

const cipher = createTokenCipher([Buffer.alloc(32, 3)]);
const { logger, lines } = capturedLogger();
let db: ConnectionsDb;
let pool: pg.Pool;

const connect = (vendorUserId: string, userId: string) =>
  saveConnection(pool, cipher, { vendor: 'garmin', vendorUserId, userId, scopes: [], tokens: { accessToken: `token-${vendorUserId}` } });

test.before(async () => {
  db = await isolatedConnectionsDb();
  pool = db.pool(2);
  for (let i = 0; i < 7; i++) await connect(`g-${i}`, `user-${i}`);
  await revokeConnectionRow(pool, 'garmin', 'g-6', 'deauth');
});

test.after(async () => {
  await db.drop();
});

test('start reads every row, page by page: connected users, revoked ones still mapped', async () => {
  const replica = createConnectionReplica({ pool, log: logger, pageRows: 3 });
  await replica.start();
  replica.close();
  assert.is(replica.size, 7, 'expected all 7 rows over three pages');
  for (let i = 0; i < 6; i++) assert.ok(replica.isConnected('garmin', `g-${i}`), `expected g-${i} connected`);
  assert.is(await replica.isConnected('garmin', 'g-6'), false, 'expected the revoked user not connected');
  assert.is(replica.userIdFor('garmin', 'g-6'), 'user-6', 'expected the revoked user still mapped (late data is the same person)');
  assert.is(await replica.userIdFor('garmin', 'nobody'), undefined, 'expected no user id for an unknown vendor user');
  assert.is(await replica.isConnected('withings', 'g-1'), false, 'expected the vendor to be part of the key');
});

test('a connection made, moved to another user or revoked after start is seen within a refresh', async () => {
  const replica = createConnectionReplica({ pool, log: logger, refreshMs: 50 });
  await replica.start();
  try {
    await connect('g-new', 'user-new');
    assert.ok(await eventually(() => replica.isConnected('garmin', 'g-new') === true, 5_000), 'expected the new connection seen');
    await connect('g-1', 'user-moved');
    assert.ok(await eventually(() => replica.userIdFor('garmin', 'g-1') === 'user-moved', 5_000), 'expected the reconnect by another user seen');
    await revokeConnectionRow(pool, 'garmin', 'g-2', 'deauth');
    assert.ok(await eventually(() => replica.isConnected('garmin', 'g-2') !== true, 5_000), 'expected the revocation seen');
    assert.is(replica.userIdFor('garmin', 'g-2'), 'user-2', 'expected the revoked user still mapped');
  } finally {
    replica.close();
  }
});

test('a user the replica does not hold is confirmed by a read begun after the question, one read for many', async () => {
  let reads = 0;
  const counting = Object.assign(Object.create(pool) as pg.Pool, {
    query: (...args: Parameters<pg.Pool['query']>) => {
      reads++;
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    },
  });
  const replica = createConnectionReplica({ pool: counting, log: logger, refreshMs: 60_000 });
  await replica.start();
  try {
    // Connected after the replica's last read, and asked about at once (the backfill's first events).
    await connect('g-fresh', 'user-fresh');
    await revokeConnectionRow(pool, 'garmin', 'g-0', 'deauth');
    reads = 0;
    const answers = await Promise.all([
      replica.userIdFor('garmin', 'g-fresh'),
      replica.isConnected('garmin', 'g-fresh'),
      ...Array.from({ length: 50 }, (_, i) => replica.userIdFor('garmin', `unknown-${i}`)),
    ]);
    assert.equal(answers.slice(0, 2), ['user-fresh', true], 'expected the young connection found');
    assert.ok(answers.slice(2).every((answer) => answer === undefined), 'expected unknown users confirmed unknown');
    assert.ok(reads <= 2, `expected the questions to share reads, got ${reads}`);
    assert.is(replica.userIdFor('garmin', 'g-1'), replica.userIdFor('garmin', 'g-1'), 'expected a held user answered at once');
    assert.not.instance(replica.userIdFor('garmin', 'g-fresh'), Promise, 'expected the confirmed user held from then on');
    assert.is(await replica.isConnected('garmin', 'g-0'), false, 'expected a revocation since the last read confirmed');
  } finally {
    replica.close();
  }
});

test('a record produced before the last read began (beyond the clock skew) is answered at once: a backlog costs no reads', async () => {
  const replica = createConnectionReplica({ pool, log: logger, refreshMs: 60_000, clockSkewMs: 100 });
  await replica.start();
  try {
    const old = Date.now() - 5_000;
    assert.is(replica.userIdFor('garmin', 'never-connected', old), undefined, 'expected an old record answered from the replica');
    assert.is(replica.isConnected('garmin', 'never-connected', old), false, 'expected the same for verify');
    assert.instance(replica.userIdFor('garmin', 'never-connected', Date.now()), Promise, 'expected a record produced since the last read confirmed');
    assert.instance(replica.userIdFor('garmin', 'never-connected'), Promise, 'expected a question without a time confirmed');
  } finally {
    replica.close();
  }
});

test('every write is stamped with its own time, not its transaction start (the replica reads by it)', async () => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: started } = await client.query<{ at: Date }>('SELECT now() AS at');
    await client.query('SELECT pg_sleep(0.3)');
    // A writer that does not set updated_at at all (the connect routes' error path) moves it too.
    const { rows } = await client.query<{ updated_at: Date }>(`UPDATE vendor_connections SET last_error = 'x' WHERE vendor_user_id = 'g-3' RETURNING updated_at`);
    await client.query('COMMIT');
    const lagMs = rows[0]!.updated_at.getTime() - started[0]!.at.getTime();
    assert.ok(lagMs >= 300, `expected updated_at at the write, ${lagMs} ms after the transaction began`);
  } finally {
    client.release();
  }
});

test('while Postgres does not answer the replica keeps its rows, warns once and reports its age', async () => {
  const own = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1, options: `-c search_path=${db.schema}` });
  const metrics = new Registry();
  const replica = createConnectionReplica({ pool: own, log: logger, refreshMs: 20, metrics });
  await replica.start();
  const before = lines.length;
  // An ended pool refuses every query, as an unreachable server would fail each read.
  await own.end();
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  replica.close();
  assert.is(replica.userIdFor('garmin', 'g-4'), 'user-4', 'expected the replica to keep answering for the users it holds');
  const unknown = await Promise.resolve(replica.userIdFor('garmin', 'nobody')).catch((e: unknown) => e);
  assert.instance(unknown, ConnectionsUnreadableError, 'expected a user it does not hold to be unconfirmable, not unknown');
  const warnings = lines.slice(before).filter((line) => line.includes('connections replica cannot read changes'));
  assert.is(warnings.length, 1, `expected one warning for the outage, got ${warnings.length}`);
  const age = Number(/^connections_replica_age_seconds (\S+)$/m.exec(await metrics.metrics())?.[1]);
  assert.ok(age >= 1, `expected the replica's age to grow while reads fail, got ${age}`);
  assert.not.ok(lines.some((line) => line.includes('user-0') || line.includes('token-')), 'expected no user id or token in the log');
});

test.run();
