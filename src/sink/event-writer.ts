import type pg from 'pg';
import type { EventRow } from './event-rows.ts';
import type { PostgresBreaker } from './postgres-breaker.ts';

export interface EventWriter {
  /**
   * Inserts the rows in one statement; resolves once they are committed. Rows whose event_id
   * already exists are skipped, so a replayed or redelivered batch is harmless.
   */
  write(rows: readonly EventRow[]): Promise<{ inserted: number }>;
}

export interface EventWriterOptions {
  readonly pool: pg.Pool;
  readonly breaker: PostgresBreaker;
  readonly table?: string;
}

// One statement for any batch size: each column travels as one array parameter and unnest
// turns them back into rows. Unlike VALUES ($1,$2,…),(…) this never hits the 65 535 parameter
// limit, and the fixed text lets Postgres reuse the plan as a named prepared statement.
function insertSql(table: string): string {
  return `INSERT INTO ${table} (event_id, user_id, source, data_type, occurred_at, received_at, metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
      $7::jsonb[], $8::jsonb[], $9::text[], $10::integer[], $11::text[], $12::integer[], $13::bigint[])
    ON CONFLICT (event_id) DO NOTHING`;
}

export function createEventWriter(options: EventWriterOptions): EventWriter {
  const table = options.table ?? 'biometric_events';
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) throw new Error(`table "${table}" is not a plain identifier`);
  const text = insertSql(table);
  const name = `insert-events-${table}`;
  return {
    async write(rows) {
      if (rows.length === 0) return { inserted: 0 };
      const values = columns(rows);
      return options.breaker.run(async () => {
        // A single statement commits atomically on its own: when it resolves the rows are durable.
        const result = await options.pool.query({ name, text, values });
        return { inserted: result.rowCount ?? 0 };
      });
    },
  };
}

function columns(rows: readonly EventRow[]): unknown[] {
  const n = rows.length;
  const cols = Array.from({ length: 13 }, () => new Array<unknown>(n));
  rows.forEach((r, i) => {
    cols[0]![i] = r.eventId;
    cols[1]![i] = r.userId;
    cols[2]![i] = r.source;
    cols[3]![i] = r.dataType;
    cols[4]![i] = r.occurredAt;
    cols[5]![i] = r.receivedAt;
    cols[6]![i] = r.metrics;
    cols[7]![i] = r.triggers;
    cols[8]![i] = r.priority;
    cols[9]![i] = r.schemaId;
    cols[10]![i] = r.srcTopic;
    cols[11]![i] = r.srcPartition;
    cols[12]![i] = r.srcOffset;
  });
  return cols;
}
