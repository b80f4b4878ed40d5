import { test } from 'uvu';
import { randomUUID } from 'node:crypto';
import * as assert from 'uvu/assert';
import type pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createEventWriter, createPostgresBreaker, createPostgresPool, migrate, toEventRow, type EventRow } from '../../src/sink/index.ts';
import { pgPool, unique } from '../support/services.ts';
import { sampleEnriched } from '../support/enriched-event.ts';

let pool: pg.Pool;

test.before(async () => {
  pool = pgPool();
  await migrate({ pool });
});

test.after(async () => {
  await pool.end();
});

function rows(n: number, topic: string): EventRow[] {
  return Array.from({ length: n }, (_, i) =>
    toEventRow(
      { ...sampleEnriched({ hrvRmssdMs: 20 }), priority: 'high', triggers: [
        { type: 'URGENT_INTERVENTION', severity: 'CRITICAL', metric: 'hrvRmssdMs', value: 20, recommendation: 'immediate_stress_protocol', ruleId: 'hrv-critical' },
      ] },
      { topic, partition: 0, offset: String(i), schemaId: 7 },
    ),
  );
}

test('a batch lands as one row per event with every column', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const batch = rows(500, topic);
  const result = await writer.write(batch);
  assert.is(result.written, 500, 'expected every row of the batch inserted');
  const { rows: stored } = await pool.query(
    `SELECT count(*)::int AS n, min(src_offset)::int AS first, max(src_offset)::int AS last FROM biometric_events WHERE src_topic = $1`,
    [topic],
  );
  assert.equal(stored[0], { n: 500, first: 0, last: 499 }, 'expected offsets 0..499 from the source topic');
  const first = batch[0]!;
  const { rows: one } = await pool.query(`SELECT * FROM biometric_events WHERE event_id = $1`, [first.eventId]);
  const row = one[0];
  assert.is(row.priority, 'high', 'expected the priority column');
  assert.is(row.schema_id, 7, 'expected the schema id column');
  assert.is(row.metrics.hrvRmssdMs, 20, 'expected headline values in metrics jsonb');
  assert.equal(row.metrics.readings, [{ metric: 'steps', value: 1200, unit: 'count' }], 'expected readings in metrics jsonb');
  assert.is(row.triggers[0].ruleId, 'hrv-critical', 'expected triggers jsonb');
  assert.is(row.occurred_at.getTime(), first.occurredAt, 'expected occurred_at to round-trip to the millisecond');
  assert.is(row.received_at.getTime(), first.receivedAt, 'expected received_at to round-trip to the millisecond');
  assert.not.ok('recoveryScore' in row.metrics, 'expected an absent (null) headline value left out of metrics jsonb');
});

test('writing the same events again writes nothing (idempotent on event_id)', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const batch = rows(50, topic);
  assert.is((await writer.write(batch)).written, 50, 'expected the first write to insert 50');
  assert.is((await writer.write(batch)).written, 0, 'expected the replayed batch to write nothing');
  const doubled = [...batch.slice(0, 5), ...batch.slice(0, 5)];
  assert.is((await writer.write(doubled)).written, 0, 'expected duplicates inside one batch to be harmless');
  const { rows: counted } = await pool.query(`SELECT count(*)::int AS n FROM biometric_events WHERE src_topic = $1`, [topic]);
  assert.is(counted[0].n, 50, 'expected exactly one row per event_id');
});

/** One version of a vendor record: the same eventId each time, its values and receipt time its own. */
function version(eventId: string, topic: string, receivedAt: number, hrvRmssdMs: number, offset: number): EventRow {
  return toEventRow(
    { ...sampleEnriched({ eventId, userId: 'user-versions', receivedAt, occurredAt: receivedAt - 3_600_000, hrvRmssdMs }), priority: hrvRmssdMs < 25 ? 'high' : 'normal' },
    { topic, partition: 0, offset: String(offset), schemaId: 7 },
  );
}

async function storedVersion(eventId: string): Promise<{ hrv: number; receivedAt: number; occurredAt: number; priority: string; offset: string; insertedAt: number; deletedAt: number | null }> {
  const { rows: found } = await pool.query(
    `SELECT metrics, received_at, occurred_at, priority, src_offset::text AS offset, inserted_at, deleted_at FROM biometric_events WHERE event_id = $1`,
    [eventId],
  );
  assert.is(found.length, 1, 'expected exactly one row for the event');
  const row = found[0];
  return {
    hrv: row.metrics.hrvRmssdMs,
    receivedAt: row.received_at.getTime(),
    occurredAt: row.occurred_at.getTime(),
    priority: row.priority,
    offset: row.offset,
    insertedAt: row.inserted_at.getTime(),
    deletedAt: row.deleted_at?.getTime() ?? null,
  };
}

test('a later version of an event replaces the stored row; an earlier one, replayed, does not', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const eventId = randomUUID();
  const t = Date.now() - 600_000;
  const first = version(eventId, topic, t, 20, 0);
  const rescored = version(eventId, topic, t + 60_000, 35, 1);
  assert.equal(await writer.write([first]), { written: 1, retracted: 0 }, 'expected the first version inserted');
  const inserted = await storedVersion(eventId);
  assert.equal(await writer.write([rescored]), { written: 1, retracted: 0 }, 'expected the later version to replace the row');
  assert.equal(
    await storedVersion(eventId),
    { hrv: 35, receivedAt: t + 60_000, occurredAt: t + 60_000 - 3_600_000, priority: 'normal', offset: '1', insertedAt: inserted.insertedAt, deletedAt: null },
    'expected the later version\'s values, received_at, priority and position, and the first insertion time',
  );
  assert.equal(await writer.write([first]), { written: 0, retracted: 0 }, 'expected the earlier version, replayed, to write nothing');
  assert.equal(await writer.write([rescored]), { written: 0, retracted: 0 }, 'expected the same version again to write nothing');
  const kept = await storedVersion(eventId);
  assert.equal([kept.hrv, kept.receivedAt, kept.offset], [35, t + 60_000, '1'], 'expected the row still at the later version');
});

test('versions of one event inside one chunk leave the one received last, whatever their order', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const [fresh, stored] = [randomUUID(), randomUUID()];
  const t = Date.now() - 600_000;
  await writer.write([version(stored, topic, t, 20, 0)]);
  const chunk = [version(fresh, topic, t + 2_000, 40, 1), version(stored, topic, t + 3_000, 45, 2), version(fresh, topic, t + 1_000, 30, 3), version(stored, topic, t + 2_000, 25, 4)];
  assert.equal(await writer.write(chunk), { written: 2, retracted: 0 }, 'expected one row inserted and one replaced');
  assert.is((await storedVersion(fresh)).hrv, 40, 'expected the new event at the version received last, though it came first');
  assert.is((await storedVersion(stored)).hrv, 45, 'expected the stored event replaced by the version received last');
});

test('a deleted row stays deleted and keeps its values: no version, earlier or later, brings it back', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const eventId = randomUUID();
  const t = Date.now() - 600_000;
  const first = version(eventId, topic, t, 20, 0);
  const rescored = version(eventId, topic, t + 60_000, 35, 1);
  await writer.write([first]);
  await writer.write([rescored]);
  const deletedAt = t + 120_000;
  assert.equal(await writer.write([deletionOf(rescored, 2, deletedAt)]), { written: 0, retracted: 1 }, 'expected the deletion to retract the row');
  assert.equal(await writer.write([first]), { written: 0, retracted: 0 }, 'expected the earlier version, replayed, not to resurrect the row');
  assert.equal(await writer.write([version(eventId, topic, t + 180_000, 50, 3)]), { written: 0, retracted: 0 }, 'expected no version to resurrect the row');
  const kept = await storedVersion(eventId);
  assert.equal([kept.hrv, kept.receivedAt, kept.deletedAt], [35, t + 60_000, deletedAt], 'expected the row deleted, with the values it had when deleted');
});

test('values holding COPY\'s special characters are stored as sent', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  // Backslash, tab, newline and carriage return mean something in COPY's text format; a JSON
  // string escape (\" or \\) puts a backslash in the jsonb text, and a literal \N must stay text.
  const odd = 'a\\b\tc\nd\re "q" \\N é';
  const row = toEventRow(
    sampleEnriched({ userId: odd, deviceType: odd, readings: [{ metric: odd, value: 1, unit: odd }] }),
    { topic, partition: 0, offset: '0', schemaId: null },
  );
  assert.equal(await writer.write([row]), { written: 1, retracted: 0 }, 'expected the row inserted');
  const { rows: stored } = await pool.query('SELECT user_id, metrics, schema_id FROM biometric_events WHERE event_id = $1', [row.eventId]);
  assert.is(stored[0].user_id, odd, 'expected user_id to round-trip unchanged');
  assert.is(stored[0].metrics.deviceType, odd, 'expected a jsonb string to round-trip unchanged');
  assert.equal(stored[0].metrics.readings, [{ metric: odd, value: 1, unit: odd }], 'expected the readings to round-trip unchanged');
  assert.is(stored[0].schema_id, null, 'expected a null schema id stored as NULL');
});

test('an empty batch is a no-op', async () => {
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  assert.equal(await writer.write([]), { written: 0, retracted: 0 }, 'expected nothing written for no rows');
});

/** The deletion of `row`'s event, as normalize → enrich → sink would deliver it later. */
function deletionOf(row: EventRow, offset: number, deletedAt: number): EventRow {
  return { ...row, metrics: { ...row.metrics, readings: [] }, triggers: [], priority: 'normal', srcOffset: String(offset), deletedAt };
}

async function deletedAtOf(eventIds: readonly string[]): Promise<Map<string, number | null>> {
  const { rows: found } = await pool.query<{ event_id: string; deleted_at: Date | null }>(
    'SELECT event_id, deleted_at FROM biometric_events WHERE event_id = ANY($1)',
    [eventIds],
  );
  return new Map(found.map((row) => [row.event_id, row.deleted_at?.getTime() ?? null]));
}

test('a deletion marks the stored row deleted, keeps it, and a repeat changes nothing', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const [kept, gone] = rows(2, topic);
  await writer.write([kept!, gone!]);
  const deletedAt = Date.now();
  assert.equal(await writer.write([deletionOf(gone!, 10, deletedAt)]), { written: 0, retracted: 1 }, 'expected the deletion to retract the one stored row');
  assert.equal(await writer.write([deletionOf(gone!, 10, deletedAt + 5)]), { written: 0, retracted: 0 }, 'expected a redelivered deletion to change nothing');
  const states = await deletedAtOf([kept!.eventId, gone!.eventId]);
  assert.is(states.get(gone!.eventId), deletedAt, 'expected deleted_at from the first deletion, to the millisecond');
  assert.is(states.get(kept!.eventId), null, 'expected the other event untouched');
  const { rows: stored } = await pool.query('SELECT metrics FROM biometric_events WHERE event_id = $1', [gone!.eventId]);
  assert.is(stored[0].metrics.hrvRmssdMs, 20, 'expected the deleted row to keep its values (soft delete)');
});

test('a deletion before its event leaves a tombstone, so the event arriving later stays deleted', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const [event] = rows(1, topic);
  const deletedAt = Date.now();
  assert.equal(await writer.write([deletionOf(event!, 0, deletedAt)]), { written: 1, retracted: 0 }, 'expected a tombstone row inserted');
  assert.equal(await writer.write([event!]), { written: 0, retracted: 0 }, 'expected the late event not to resurrect the row');
  assert.is((await deletedAtOf([event!.eventId])).get(event!.eventId), deletedAt, 'expected the row still deleted');
});

test('an event and its deletion in one chunk land deleted, beside rows the chunk keeps', async () => {
  const topic = unique('enriched');
  const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });
  const batch = rows(4, topic);
  const deletedAt = Date.now();
  const result = await writer.write([...batch, deletionOf(batch[1]!, 4, deletedAt), batch[1]!]);
  assert.equal(result, { written: 4, retracted: 0 }, 'expected 4 rows, the deleted one inserted as deleted');
  const states = await deletedAtOf(batch.map((row) => row.eventId));
  assert.equal(
    batch.map((row) => states.get(row.eventId)),
    [null, deletedAt, null, null],
    'expected only the second event deleted',
  );
});

test('a backend terminated between two statements of a write fails that write, not the process; the next write reconnects', async () => {
  const app = unique('sink-writer-terminated');
  const own = createPostgresPool({ connectionString: loadConfig().DATABASE_URL, max: 1, logger: createLogger({ level: 'silent' }), applicationName: app });
  const writer = createEventWriter({ pool: own, breaker: createPostgresBreaker() });
  const topic = unique('enriched');
  try {
    assert.is((await writer.write(rows(5, topic))).written, 5, 'a first write opens the connection');
    // The next BEGIN answers, then Postgres ends the backend before the writer's next statement:
    // its FATAL reaches the connection while no statement runs, as when Postgres shuts down.
    const connect = own.connect.bind(own);
    let terminated = false;
    (own as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
      const client = await connect();
      const query = client.query.bind(client) as (statement: unknown) => unknown;
      (client as { query: unknown }).query = (statement: unknown) => {
        if (statement !== 'BEGIN' || terminated) return query(statement);
        terminated = true;
        return (async () => {
          const result = await query(statement);
          const closed = new Promise((resolve) => client.once('end', resolve));
          await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
          await closed;
          return result;
        })();
      };
      return client;
    };
    const failed = await writer.write(rows(5, `${topic}-b`)).then(() => undefined, (error: unknown) => error);
    assert.ok(terminated, 'the backend was terminated mid-write');
    assert.instance(failed, Error, 'that write failed, so its chunk is retried');
    assert.is((await writer.write(rows(5, `${topic}-b`))).written, 5, 'the next write reconnects and creates the staging table again');
  } finally {
    await own.end();
  }
});

test.run();
