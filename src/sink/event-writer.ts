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

// One statement and one parameter for any batch size: the chunk travels as a single JSON array of
// rows and jsonb_to_recordset turns it back into typed columns (the record definition names the
// EventRow fields). Measured per 2,000-row chunk against unnest over 13 array parameters: about
// the same server time (EXPLAIN ANALYZE, backend CPU) but a quarter of the client CPU, because pg
// escapes every array element in JavaScript while JSON.stringify of the chunk runs natively, once.
// It never hits the 65 535 parameter limit, and the fixed text lets Postgres reuse the plan as a
// prepared statement. Times arrive as epoch milliseconds; to_timestamp keeps the millisecond.
function insertSql(table: string): string {
  return `INSERT INTO ${table} (event_id, user_id, source, data_type, occurred_at, received_at, metrics,
      triggers, priority, schema_id, src_topic, src_partition, src_offset)
    SELECT "eventId", "userId", "source", "dataType", to_timestamp("occurredAt" / 1000.0), to_timestamp("receivedAt" / 1000.0), "metrics",
      "triggers", "priority", "schemaId", "srcTopic", "srcPartition", "srcOffset"
    FROM jsonb_to_recordset($1::jsonb) AS r("eventId" text, "userId" text, "source" text, "dataType" text,
      "occurredAt" bigint, "receivedAt" bigint, "metrics" jsonb, "triggers" jsonb, "priority" text,
      "schemaId" integer, "srcTopic" text, "srcPartition" integer, "srcOffset" bigint)
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
      const values = [JSON.stringify(rows)];
      return options.breaker.run(async () => {
        // A single statement commits atomically on its own: when it resolves the rows are durable.
        const result = await options.pool.query({ name, text, values });
        return { inserted: result.rowCount ?? 0 };
      });
    },
  };
}
