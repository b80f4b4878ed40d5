import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stageConnections } from '../../src/app/connection-answers.ts';
import { postgresStartUp } from '../../src/app/postgres-start-up.ts';
import { createStageResources } from '../../src/app/index.ts';
import { createTokenCipher, saveConnection } from '../../src/connections/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../src/obs/metrics.ts';
import { DependencyUnavailableError } from '../../src/streams/index.ts';
import { config } from '../support/services.ts';
import { logLines } from '../support/log-lines.ts';
import { tcpRelay } from '../support/tcp-relay.ts';
import { waitUntil } from '../support/wait-until.ts';
import { isolatedConnectionsDb } from './connections-support.ts';

const postgres = new URL(config.DATABASE_URL);

/** The question's answer, or the error it threw (the directory throws at once while it cannot answer). */
const answer = async (ask: () => unknown): Promise<unknown> => {
  try {
    return await ask();
  } catch (error) {
    return error;
  }
};

test('a stage started while Postgres does not answer starts at once, pauses what needs a connection, and answers once Postgres is back', async () => {
  const db = await isolatedConnectionsDb();
  const cipher = createTokenCipher([Buffer.alloc(32, 5)]);
  await saveConnection(db.pool(1), cipher, { vendor: 'garmin', vendorUserId: 'g-1', userId: 'user-1', scopes: [], tokens: { accessToken: 'token-g-1' } });
  // The stage's Postgres is a relay to the real one, down at start as during an outage.
  const link = await tcpRelay({ host: postgres.hostname, port: Number(postgres.port) }, { startDown: true });
  const url = new URL(config.DATABASE_URL);
  url.port = String(link.port);
  url.searchParams.set('options', `-c search_path=${db.schema}`);
  const { lines, destination } = logLines();
  const resources = createStageResources(loadConfig({ ...process.env, DATABASE_URL: url.toString() }), createLogger({ level: 'info', name: 'connections-startup' }, destination), createMetricsRegistry());
  try {
    // The start-up waits for nothing: one refused connection, then the stage goes on.
    const directory = await Promise.race([
      stageConnections(resources),
      delay(10_000, undefined, { ref: false }).then(() => {
        throw new Error('expected the stage to start without Postgres; its start-up still waited after 10 s');
      }),
    ]);
    assert.ok(lines.some((line) => line.includes('postgres does not answer') && line.includes('"level":40')), 'expected a warning that Postgres does not answer');

    const paused = await answer(() => directory.userIdFor('garmin', 'g-1'));
    assert.instance(paused, DependencyUnavailableError, `expected the question to pause its partition, got ${String(paused)}`);
    assert.is((paused as DependencyUnavailableError).dependency, 'postgres');
    const pausedToo = await answer(() => directory.isConnected('garmin', 'g-1'));
    assert.instance(pausedToo, DependencyUnavailableError, 'expected verify’s question to pause too, not answer "not connected"');

    await link.up();
    await waitUntil('the user id answered once Postgres is back', async () => (await answer(() => directory.userIdFor('garmin', 'g-1'))) === 'user-1', { timeoutMs: 20_000 });
    assert.is(await directory.isConnected('garmin', 'g-1'), true, 'expected the connected user answered');
    assert.not.ok(lines.some((line) => /"level":(50|60)/.test(line)), 'expected no ERROR line');
  } finally {
    await resources.close();
    await link.down();
    await db.drop();
  }
});

test('when Postgres answers, the start-up work is done before the stage starts, and its failure stops the start', async () => {
  const resources = createStageResources(loadConfig(process.env), createLogger({ level: 'silent' }), createMetricsRegistry());
  try {
    let done = false;
    const startUp = await postgresStartUp(resources, async () => {
      await resources.pgPool().query('SELECT 1');
      done = true;
    });
    assert.ok(done, 'expected the work done before the start-up returned');
    startUp.pending(); // throws while the work is pending

    const broken = await answer(() => postgresStartUp(resources, () => resources.pgPool().query('SELECT * FROM no_such_table').then(() => undefined)));
    assert.instance(broken, Error, 'expected a failing migration to fail the start-up, as before');
    assert.match((broken as Error).message, /no_such_table/);
  } finally {
    await resources.close();
  }
});

test.run();
