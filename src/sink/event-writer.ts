import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EventRow } from './event-rows.ts';
import type { PostgresBreaker } from './postgres-breaker.ts';

export interface EventWriter {
  /**
   * Inserts the rows in one transaction; resolves once it is committed. Rows whose event_id
   * already exists are skipped, so a replayed or redelivered batch is harmless. A row with
   * `deletedAt` (a vendor deletion) also marks the existing row with that event_id deleted.
   */
  write(rows: readonly EventRow[]): Promise<{ inserted: number; retracted: number }>;
}

export interface EventWriterOptions {
  readonly pool: pg.Pool;
  readonly breaker: PostgresBreaker;
  readonly table?: string;
}

// A chunk is COPYed into a temporary staging table, then moved with one INSERT … SELECT … ON
// CONFLICT DO NOTHING, in one transaction. bench:sink measured the Postgres backends at about
// 10 µs per row this way against 14–15 for one INSERT … SELECT FROM jsonb_to_recordset($1) of the
// whole chunk as a JSON document (COPY reads each field straight into its column; the recordset
// first built the whole chunk as one jsonb value, then took every row's fields back out of it).
// Binary COPY measured the same as text, so the text format stays: it needs no encoder of
// Postgres's binary types here, only the escaping below. A temporary table writes no WAL and is
// private to its connection; ON COMMIT DELETE ROWS empties it at every commit (truncating its
// file, no dead rows to vacuum), so it is created once per pooled connection, not per chunk.
// Times stay epoch milliseconds up to the INSERT, where to_timestamp keeps the millisecond.
const staging = 'pg_temp.sink_staging';
const createStaging = `CREATE TEMP TABLE IF NOT EXISTS sink_staging (event_id text, user_id text, source text,
    data_type text, occurred_at bigint, received_at bigint, metrics jsonb, triggers jsonb, priority text,
    schema_id integer, src_topic text, src_partition integer, src_offset bigint, deleted_at bigint)
  ON COMMIT DELETE ROWS`;
const copy = `COPY ${staging} FROM STDIN`;

/**
 * Connections the writer listens on and that hold the staging table. A connection whose
 * preparing failed is dropped (released with the error), so its client is never seen again.
 */
const prepared = new WeakSet<pg.PoolClient>();

/**
 * The pool stops listening to a connection while it is checked out, and an error that arrives
 * between two statements (Postgres shutting down sends its FATAL to every backend) is emitted on
 * the connection: unheard, it kills the process. The statement that follows fails with it, which
 * fails the chunk and drops the connection, so hearing it is all this needs to do.
 */
function heard(): void {}

async function prepare(client: pg.PoolClient): Promise<void> {
  if (prepared.has(client)) return;
  client.on('error', heard);
  await client.query(createStaging);
  prepared.add(client);
}

function insertSql(table: string): string {
  return `INSERT INTO ${table} (event_id, user_id, source, data_type, occurred_at, received_at, metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset, deleted_at)
    SELECT event_id, user_id, source, data_type, to_timestamp(occurred_at / 1000.0), to_timestamp(received_at / 1000.0), metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset, to_timestamp(deleted_at / 1000.0)
    FROM ${staging}
    ON CONFLICT (event_id) DO NOTHING`;
}

// Only for chunks that hold a deletion, so the common chunk keeps the plain insert. The insert and
// the retraction are one statement, so its UPDATE sees the rows from before the statement, which
// is why copies of a deleted event inside the chunk arrive already marked (retractCopies) and the
// first one inserted is a tombstone. A deletion that arrives before its
// event inserts that tombstone, so the event arriving later (a replay) stays deleted.
function insertAndRetractSql(table: string): string {
  return `WITH inserted AS (${insertSql(table)} RETURNING 1),
    retracted AS (
      UPDATE ${table} AS e SET deleted_at = to_timestamp(s.deleted_at / 1000.0)
      FROM ${staging} AS s
      WHERE e.event_id = s.event_id AND s.deleted_at IS NOT NULL AND e.deleted_at IS NULL
      RETURNING 1)
    SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM retracted)::int AS retracted`;
}

/** Every row of the chunk whose event the chunk also deletes, marked deleted like the deletion. */
function retractCopies(rows: readonly EventRow[]): EventRow[] {
  const deletedAt = new Map<string, number>();
  for (const row of rows) if (row.deletedAt !== null && !deletedAt.has(row.eventId)) deletedAt.set(row.eventId, row.deletedAt);
  return rows.map((row) => (row.deletedAt === null && deletedAt.has(row.eventId) ? { ...row, deletedAt: deletedAt.get(row.eventId)! } : row));
}

// COPY's text format gives a backslash, tab, newline and carriage return a meaning, so a value
// holding one (a vendor id, or a JSON string escape such as \" in metrics) has it escaped. Most
// values hold none, and the test is cheaper than the replace.
const copySpecial = /[\\\t\n\r]/;
const copyEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
function copyText(value: string): string {
  return copySpecial.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => copyEscapes[c]!) : value;
}

/** The chunk as COPY text: one line per row, tab-separated, `\N` for null, in the staging table's column order. */
function copyLines(rows: readonly EventRow[]): Buffer {
  let text = '';
  for (const row of rows) {
    text += `${copyText(row.eventId)}\t${copyText(row.userId)}\t${copyText(row.source)}\t${copyText(row.dataType)}\t${row.occurredAt}\t${row.receivedAt}\t${copyText(JSON.stringify(row.metrics))}\t${copyText(JSON.stringify(row.triggers))}\t${copyText(row.priority)}\t${row.schemaId ?? '\\N'}\t${copyText(row.srcTopic)}\t${row.srcPartition}\t${copyText(row.srcOffset)}\t${row.deletedAt ?? '\\N'}\n`;
  }
  return Buffer.from(text, 'utf8');
}

export function createEventWriter(options: EventWriterOptions): EventWriter {
  const table = options.table ?? 'biometric_events';
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) throw new Error(`table "${table}" is not a plain identifier`);
  // Named, so each connection plans them once: a plan over the staging table stays valid for
  // the connection's life, since the table is never dropped.
  const insert = { name: `insert-events-${table}`, text: insertSql(table) };
  const insertAndRetract = { name: `insert-retract-events-${table}`, text: insertAndRetractSql(table) };
  return {
    async write(rows) {
      if (rows.length === 0) return { inserted: 0, retracted: 0 };
      const deletes = rows.some((row) => row.deletedAt !== null);
      const lines = copyLines(deletes ? retractCopies(rows) : rows);
      return options.breaker.run(async () => {
        const client = await options.pool.connect();
        try {
          await prepare(client);
          // The staged rows must not outlive the chunk (ON COMMIT DELETE ROWS), and the chunk's
          // rows are durable when COMMIT resolves (synchronous_commit stays on).
          await client.query('BEGIN');
          await pipeline(Readable.from([lines]), client.query(copyFrom(copy)));
          let written: { inserted: number; retracted: number };
          if (deletes) {
            const result = await client.query<{ inserted: number; retracted: number }>(insertAndRetract);
            written = result.rows[0] ?? { inserted: 0, retracted: 0 };
          } else {
            const result = await client.query(insert);
            written = { inserted: result.rowCount ?? 0, retracted: 0 };
          }
          await client.query('COMMIT');
          client.release();
          return written;
        } catch (error) {
          // The connection is dropped rather than rolled back: after a timeout or a COPY cut
          // short its state is unknown, and closing it ends the open transaction on the server.
          client.release(error instanceof Error ? error : true);
          throw error;
        }
      });
    },
  };
}
