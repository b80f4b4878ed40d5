import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { migrate } from '../../src/sink/index.ts';
import { createLogger, type Logger } from '../../src/obs/logger.ts';
import { config, unique } from '../support/services.ts';

/**
 * A Postgres schema of its own with the project's migrations applied, so these tests neither
 * see nor change the shared `vendor_connections` other runs use. `pool()` opens another pool on
 * it (a second "process").
 */
export interface ConnectionsDb {
  readonly schema: string;
  pool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

export async function isolatedConnectionsDb(): Promise<ConnectionsDb> {
  const schema = unique('conn').replace(/-/g, '_');
  const admin = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pools: pg.Pool[] = [];
  const pool = (max = 4) => {
    const created = new pg.Pool({ connectionString: config.DATABASE_URL, max, options: `-c search_path=${schema}` });
    pools.push(created);
    return created;
  };
  await migrate({ pool: pool(1), table: `${schema}.schema_migrations`, lockKey: Math.floor(Math.random() * 1_000_000_000) });
  return {
    schema,
    pool,
    async drop() {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A logger whose every line is kept, to prove no token, secret or user id is written. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'debug' }, sink), lines };
}

export const linkSecret = randomBytes(32).toString('hex');
