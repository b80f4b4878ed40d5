import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createTokenCipher } from '../../src/connections/index.ts';
import { startOAuthSimulator, type OAuthSimulator } from '../support/vendor-sim/oauth-server.ts';
import type { Kafka } from 'kafkajs';
import { config, createTopics, kafkaClient, unique, testConsumer } from '../support/services.ts';
import { bridge } from './operators-cli.ts';
import { waitUntil } from '../support/wait-until.ts';
import { isolatedConnectionsDb, type ConnectionsDb } from './connections-support.ts';

const oldKey = randomBytes(32).toString('hex');
const newKey = randomBytes(32).toString('base64');
let db: ConnectionsDb;
let pool: pg.Pool;
let dir: string;
let sim: OAuthSimulator;
const callbackUrl = 'https://bridge.example.com/api/bridge/webhooks/oura';

test.before(async () => {
  db = await isolatedConnectionsDb();
  pool = db.pool(2);
  dir = await mkdtemp(join(tmpdir(), 'connections-cli-'));
  sim = await startOAuthSimulator({ vendor: 'oura' });
  // The CLI runs in a child process: point it at this test's schema and simulator.
  const url = new URL(config.DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${db.schema}`);
  Object.assign(process.env, {
    DATABASE_URL: url.toString(),
    TOKEN_ENCRYPTION_KEYS: oldKey,
    OURA_CLIENT_ID: sim.clientId,
    OURA_CLIENT_SECRET: sim.clientSecret,
    OURA_API_BASE_URL: sim.url,
    OURA_VERIFICATION_TOKEN: 'verify-me',
    LOG_LEVEL: 'silent',
  });
});

test.after(async () => {
  await sim.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The first `count` records of `topic`, value parsed. */
async function readRequests(kafka: Kafka, topic: string, count: number): Promise<{ key: string; value: Record<string, unknown> }[]> {
  const consumer = testConsumer(kafka, { groupId: unique('test.reader') });
  const read: { key: string; value: Record<string, unknown> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown> });
      },
    });
    await waitUntil(`${count} records on ${topic}`, () => read.length >= count, { timeoutMs: 20_000 });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

const tokens = ['cli-access-token-1', 'cli-refresh-token-1', 'cli-access-token-2'];

test('import a CSV, then list and show without printing a token', async () => {
  const file = join(dir, 'tokens.csv');
  await writeFile(file, [
    'vendor,vendor_user_id,user_id,access_token,refresh_token,expires_at,scopes',
    `oura,CLI-OURA-1,cli-user-1,${tokens[0]},${tokens[1]},2031-01-01T00:00:00Z,daily personal`,
    `whoop,4242,cli-user-2,${tokens[2]},,,`,
  ].join('\n'));
  const imported = await bridge('connections', 'import', file);
  assert.is(imported.code, 0, `expected the import to succeed: ${imported.stderr}`);
  assert.match(imported.stdout, 'imported 2 connection(s)', 'expected the count');

  const list = await bridge('connections', 'list');
  assert.is(list.code, 0, `expected list to succeed: ${list.stderr}`);
  assert.match(list.stdout, /oura\s+CLI-OURA-1\s+cli-user-1\s+active/, 'expected the Oura connection listed');
  assert.match(list.stdout, '2 connection(s)', 'expected both listed');
  const show = await bridge('connections', 'show', 'oura', 'CLI-OURA-1');
  assert.match(show.stdout, 'token expires at 2031-01-01T00:00:00.000Z', 'expected the expiry shown');
  assert.match(show.stdout, 'tokens           access, refresh (key ', 'expected which tokens exist, not their values');
  for (const output of [imported, list, show]) {
    for (const token of tokens) assert.not.ok(output.stdout.includes(token) || output.stderr.includes(token), 'expected no token printed');
  }
});

test('a bad import names the record and imports nothing (exit 65)', async () => {
  const file = join(dir, 'bad.json');
  await writeFile(file, JSON.stringify([{ vendor: 'oura', vendor_user_id: 'CLI-OURA-9', user_id: 'u', access_token: 'secret-9' }, { vendor: 'oura', user_id: 'u' }]));
  const result = await bridge('connections', 'import', file);
  assert.is(result.code, 65, 'expected exit 65 for refused data');
  assert.match(result.stderr, 'record 2: missing vendor_user_id, access_token', 'expected the bad record named');
  assert.not.match(result.stderr, 'secret-9', 'expected no token printed');
  assert.is((await pool.query(`SELECT 1 FROM vendor_connections WHERE vendor_user_id = 'CLI-OURA-9'`)).rowCount, 0, 'expected nothing imported');
});

test('rekey moves every token to the new key; show of an unknown connection exits 66', async () => {
  process.env['TOKEN_ENCRYPTION_KEYS'] = `${newKey},${oldKey}`;
  const result = await bridge('connections', 'rekey');
  assert.is(result.code, 0, `expected rekey to succeed: ${result.stderr}`);
  assert.match(result.stdout, 'rekeyed 2 connection(s)', 'expected both connections rekeyed');
  const only = createTokenCipher([Buffer.from(newKey, 'base64')]);
  const { rows } = await pool.query<{ access_token: string }>(`SELECT access_token FROM vendor_connections WHERE vendor_user_id = 'CLI-OURA-1'`);
  assert.is(only.decrypt(rows[0]!.access_token, 'oura\nCLI-OURA-1\naccess'), tokens[0], 'expected the new key alone to open the token');
  assert.is((await bridge('connections', 'show', 'oura', 'nobody')).code, 66, 'expected exit 66 for an unknown connection');
});

test('backfill queues the user’s window as week-long requests; bad days, a vendor without history and no connection are refused', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  // A topic of this run's own, not the pipeline's hydrate.backfill another run may be reading.
  const requests = unique('test.backfill');
  await createTopics(admin, [requests]);
  try {
    const total = async () => (await admin.fetchTopicOffsets(requests)).reduce((sum, p) => sum + Number(p.high), 0);
    const queued = await bridge('connections', 'backfill', 'oura', 'cli-user-1', '--days', '10', '--topic', requests);
    assert.is(queued.code, 0, `expected the backfill queued: ${queued.stderr}`);
    assert.match(queued.stdout, 'in 2 request(s) of at most a week', 'expected 10 days as two requests');
    assert.is(await total(), 2, 'expected two requests on the backfill topic');
    const [first] = await readRequests(kafka, requests, 2);
    assert.is(first!.key, 'oura:CLI-OURA-1', 'expected the request keyed by vendor and the vendor’s user id, not ours');
    assert.equal(Object.keys(first!.value).sort(), ['end_date', 'start_date', 'vendor', 'vendor_user_id'], 'expected the request to name vendor, user and window only (no token)');
    assert.is(first!.value['vendor_user_id'], 'CLI-OURA-1', 'expected the vendor user the connection names');

    const badDays = await bridge('connections', 'backfill', 'oura', 'cli-user-1', '--days', '400', '--topic', requests);
    assert.is(badDays.code, 64, 'expected exit 64 for days out of range');
    assert.match(badDays.stderr, '--days must be a whole number from 1 to 365', 'expected the rule named');
    const polar = await bridge('connections', 'backfill', 'polar', 'cli-user-1', '--topic', requests);
    assert.is(polar.code, 64, 'expected exit 64 for a vendor without history');
    assert.match(polar.stderr, 'AccessLink serves new data only', 'expected the reason');
    const unknown = await bridge('connections', 'backfill', 'fitbit', 'cli-user-1', '--topic', requests);
    assert.is(unknown.code, 64, 'expected exit 64 for an unknown vendor, as for any argument the parser refuses');
    assert.is(unknown.stderr.trim().split('\n').length, 1, `expected one line naming the choices, got ${unknown.stderr}`);
    assert.match(unknown.stderr, 'Allowed choices are oura', 'expected the vendors listed');
    const nobody = await bridge('connections', 'backfill', 'oura', 'no-such-user', '--topic', requests);
    assert.is(nobody.code, 66, 'expected exit 66 without an active connection');
    assert.not.match(nobody.stderr, /\n\s+at /, 'expected no stack trace');
    const missing = await bridge('connections', 'backfill', 'oura', 'cli-user-1', '--topic', `${requests}-missing`);
    assert.is(missing.code, 66, 'expected exit 66 for a requests topic that does not exist');
    assert.match(missing.stderr, 'bridge topics create', 'expected the refusal to say how to create it');
    assert.is(await total(), 2, 'expected nothing queued by the refusals');
  } finally {
    await admin.deleteTopics({ topics: [requests] }).catch((error: unknown) => console.error('cleanup failed', error));
    await admin.disconnect();
  }
});

test('revoke marks the connection revoked and drops its tokens', async () => {
  const result = await bridge('connections', 'revoke', 'whoop', '4242', '--reason', 'user_request');
  assert.is(result.code, 0, `expected revoke to succeed: ${result.stderr}`);
  const { rows } = await pool.query(`SELECT status, access_token, last_error FROM vendor_connections WHERE vendor = 'whoop' AND vendor_user_id = '4242'`);
  assert.equal(rows[0], { status: 'revoked', access_token: null, last_error: 'user_request' }, 'expected a revoked row without tokens');
  assert.is((await bridge('connections', 'revoke', 'whoop', '4242')).code, 66, 'expected a second revoke to find nothing active');
});

test('subscribe oura creates the missing subscriptions, renews the expiring ones, and is idempotent', async () => {
  // Made by an earlier version (workouts were subscribed to, never mapped), and another app's.
  const lasting = new Date(Date.now() + 60 * 86_400_000).toISOString();
  sim.subscriptions.push({ id: 'old-workout', callback_url: callbackUrl, event_type: 'create', data_type: 'workout', expiration_time: lasting });
  sim.subscriptions.push({ id: 'elsewhere', callback_url: 'https://other.example.com/hook', event_type: 'create', data_type: 'workout', expiration_time: lasting });
  const first = await bridge('connections', 'subscribe', 'oura', '--callback-url', callbackUrl);
  assert.is(first.code, 0, `expected subscribe to succeed: ${first.stderr}`);
  assert.match(first.stdout, '12 created, 0 renewed, 0 kept, 1 removed', 'expected 3 event types × 4 mapped data types created, our workout subscription removed');
  assert.match(first.stdout, 'removed create workout', 'expected the removal named');
  assert.equal(sim.subscriptions.filter((s) => s.data_type === 'workout').map((s) => s.id), ['elsewhere'], 'expected another callback’s subscription untouched');
  sim.subscriptions.splice(sim.subscriptions.findIndex((s) => s.id === 'elsewhere'), 1);
  assert.ok(sim.subscriptions.every((s) => s.callback_url === callbackUrl), 'expected every subscription on our callback');
  sim.subscriptions[0]!.expiration_time = new Date(Date.now() + 86_400_000).toISOString();
  const second = await bridge('connections', 'subscribe', 'oura', '--callback-url', callbackUrl);
  assert.match(second.stdout, '0 created, 1 renewed, 11 kept, 0 removed', 'expected only the expiring one renewed');
  assert.ok(Date.parse(sim.subscriptions[0]!.expiration_time) > Date.now() + 30 * 86_400_000, 'expected the renewal to move the expiry');
  assert.is(sim.subscriptions.length, 12, 'expected no duplicate subscriptions');
  assert.not.ok(`${first.stdout}${first.stderr}${second.stdout}`.includes(sim.clientSecret), 'expected no client secret printed');
});

test.run();
