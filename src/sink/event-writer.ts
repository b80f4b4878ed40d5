import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EventRow } from './event-rows.ts';
import { latestVersions } from './event-versions.ts';
import type { PostgresBreaker } from './postgres-breaker.ts';

export interface EventWriter {
  /**
   * Writes the rows in one transaction; resolves once it is committed. A row whose event_id is
   * stored already replaces it only when it was received later (a re-scored or updated vendor
   * record), so a replayed or redelivered batch is harmless and an older version never wins. A
   * row with `deletedAt` (a vendor deletion) marks the row with that event_id deleted for good.
   * `written` counts rows inserted or replaced, `retracted` stored rows marked deleted.
   */
  write(rows: readonly EventRow[]): Promise<{ written: number; retracted: number }>;
}

export interface EventWriterOptions {
  readonly pool: pg.Pool;
  readonly breaker: PostgresBreaker;
  readonly table?: string;
}

// A chunk is COPYed into a temporary staging table, then moved with one INSERT … SELECT … ON
// CONFLICT DO UPDATE, in one transaction. bench:sink measured the Postgres backends at about
// 10 µs per row this way (with DO NOTHING, which takes the same path for a row not stored yet) against 14–15 for one INSERT … SELECT FROM jsonb_to_recordset($1) of the
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

// event_id comes from the vendor's upsert key, so a re-scored WHOOP sleep, an Oura `update` or
// Terra's later daily summary arrives with the eventId of the version stored. received_at (when
// ingress took the webhook, carried unchanged through replays and redrives) orders the versions:
// a later one replaces every column but event_id, inserted_at (the first insertion) and
// deleted_at; an equal one is the same version again and an earlier one a replay or a redrive,
// and both leave the row alone. Nothing replaces a deleted row (a deletion is final for its
// eventId) and a deletion replaces nothing (it carries no values).
function upsertSql(table: string): string {
  return `INSERT INTO ${table} AS e (event_id, user_id, source, data_type, occurred_at, received_at, metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset, deleted_at)
    SELECT event_id, user_id, source, data_type, to_timestamp(occurred_at / 1000.0), to_timestamp(received_at / 1000.0), metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset, to_timestamp(deleted_at / 1000.0)
    FROM ${staging}
    ON CONFLICT (event_id) DO UPDATE SET user_id = excluded.user_id, source = excluded.source,
      data_type = excluded.data_type, occurred_at = excluded.occurred_at, received_at = excluded.received_at,
      metrics = excluded.metrics, triggers = excluded.triggers, priority = excluded.priority,
      schema_id = excluded.schema_id, src_topic = excluded.src_topic, src_partition = excluded.src_partition,
      src_offset = excluded.src_offset
    WHERE excluded.received_at > e.received_at AND e.deleted_at IS NULL AND excluded.deleted_at IS NULL`;
}

// Only for chunks that hold a deletion, so the common chunk runs the upsert alone. It runs before
// the upsert, as its own statement: it sees only the rows stored before the chunk, and a row
// updated by one statement and locked again by ON CONFLICT in the same statement would fail it.
// A deleted event new to the table is then inserted by the upsert already marked (a tombstone),
// so the event arriving later (a replay) stays deleted.
function retractSql(table: string): string {
  return `UPDATE ${table} AS e SET deleted_at = to_timestamp(s.deleted_at / 1000.0)
    FROM ${staging} AS s
    WHERE e.event_id = s.event_id AND s.deleted_at IS NOT NULL AND e.deleted_at IS NULL`;
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
  const upsert = { name: `upsert-events-${table}`, text: upsertSql(table) };
  const retract = { name: `retract-events-${table}`, text: retractSql(table) };
  return {
    async write(rows) {
      if (rows.length === 0) return { written: 0, retracted: 0 };
      const staged = latestVersions(rows);
      const deletes = staged.some((row) => row.deletedAt !== null);
      const lines = copyLines(staged);
      return options.breaker.run(async () => {
        const client = await options.pool.connect();
        try {
          await prepare(client);
          // The staged rows must not outlive the chunk (ON COMMIT DELETE ROWS), and the chunk's
          // rows are durable when COMMIT resolves (synchronous_commit stays on).
          await client.query('BEGIN');
          await pipeline(Readable.from([lines]), client.query(copyFrom(copy)));
          const retracted = deletes ? ((await client.query(retract)).rowCount ?? 0) : 0;
          const written = (await client.query(upsert)).rowCount ?? 0;
          await client.query('COMMIT');
          client.release();
          return { written, retracted };
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
