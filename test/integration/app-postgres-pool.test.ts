import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createStageResources } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../src/obs/metrics.ts';
import { pgPool, unique } from '../support/services.ts';
import { logLines } from '../support/log-lines.ts';
import { waitUntil } from '../support/wait-until.ts';

test("an idle pooled connection terminated by Postgres is a counted warning: the process lives and the next query works", async () => {
  const name = unique('pool-test');
  const { lines, destination } = logLines();
  const log = createLogger({ level: 'warn', name }, destination);
  const metrics = createMetricsRegistry();
  // The pool every stage process gets, named after the process in pg_stat_activity.
  const resources = createStageResources(loadConfig({ ...process.env, PG_POOL_MAX: '2' }), log, metrics);
  const admin = pgPool();
  try {
    const pool = resources.pgPool();
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    for (const client of clients) client.release(); // both idle in the pool now
    assert.is(pool.idleCount, 2, 'expected two idle connections');

    // What a Postgres restart or an operator's pg_terminate_backend does to idle connections.
    const terminated = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [name]);
    assert.equal(terminated.rows.map((row) => row.ok), [true, true], 'expected both backends of the pool terminated');

    const counted = async () => (await metrics.getSingleMetricAsString('postgres_pool_idle_errors_total')).includes(`postgres_pool_idle_errors_total{pool="${name}"} 2`);
    await waitUntil('both idle errors counted', counted, { timeoutMs: 10_000 });
    assert.ok(lines.some((line) => line.includes('postgres idle client error') && line.includes('"level":40')), 'expected a warning per idle error');
    assert.not.ok(lines.some((line) => /"level":(50|60)/.test(line)), 'expected no ERROR line');

    const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
    assert.equal(rows, [{ ok: 1 }], 'expected the next query to work on a fresh connection');
  } finally {
    await resources.close();
    await admin.end();
  }
});

test.run();
