import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../support/free-port.ts';
import { generateKeyPair, SignJWT } from 'jose';
import { baselineQueryRoute, type BaselineSource } from '../../../src/app/stages/enrich.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { startObsServer, type ObsServer } from '../../../src/obs/http-server.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../../src/obs/metrics.ts';
import { DependencyUnavailableError, type StateQueryAnswer } from '../../../src/streams/index.ts';

const secret = 'baseline-query-test-secret-of-32-bytes';

/** enrich as the route sees it, holding every user here with no history; it keeps the keys asked for. */
function enrichHoldingEveryone(): { source: BaselineSource; asked: unknown[] } {
  const asked: unknown[] = [];
  const source: BaselineSource = {
    stateStores: {},
    isReady: () => true,
    queryStore: async (_store, key) => {
      asked.push(key);
      return { where: 'here', partition: 0, value: undefined };
    },
  };
  return { source, asked };
}

async function serve(source: BaselineSource | undefined, env: Record<string, string>): Promise<ObsServer> {
  return startObsServer({
    port: 0,
    registry: createMetricsRegistry(),
    version: 'test',
    log: createLogger({ level: 'silent' }),
    connections: () => ({}),
    ready: () => true,
    routes: { '/state/': baselineQueryRoute(loadConfig(env), () => source) },
  });
}

const userToken = (sub: string) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(secret));

test('a user id is decoded once: %25 is a % and %2F a / inside the id', async () => {
  const enrich = enrichHoldingEveryone();
  const server = await serve(enrich.source, { STATE_QUERY_UNAUTHENTICATED: 'true' });
  try {
    for (const [path, userId] of [['%25', '%'], ['50%25-off', '50%-off'], ['user%2541', 'user%41'], ['a%2Fb', 'a/b']] as const) {
      const answer = await fetch(`http://127.0.0.1:${server.port}/state/baselines/${path}`);
      assert.is(answer.status, 200, `expected /state/baselines/${path} answered`);
      assert.is(((await answer.json()) as { userId: string }).userId, userId, `expected /state/baselines/${path} to be user ${userId}`);
    }
    assert.equal(enrich.asked, ['%', '50%-off', 'user%41', 'a/b'], 'expected the store asked for each id as sent, decoded once');
  } finally {
    await server.close();
  }
});

test('a path that is not valid percent-encoding is answered 400 with the reason, never 500', async () => {
  const enrich = enrichHoldingEveryone();
  const server = await serve(enrich.source, { STATE_QUERY_UNAUTHENTICATED: 'true' });
  try {
    for (const path of ['%', '%zz', 'user%E0%A4%A', '%C3%28']) {
      const answer = await fetch(`http://127.0.0.1:${server.port}/state/baselines/${path}`);
      assert.is(answer.status, 400, `expected /state/baselines/${path} refused as a bad request`);
      assert.match(((await answer.json()) as { error: string }).error, 'not valid percent-encoding', `expected the reason for ${path}`);
    }
    const long = await fetch(`http://127.0.0.1:${server.port}/state/baselines/${'u'.repeat(201)}`);
    assert.is(long.status, 400, 'expected an id over 200 characters refused as a bad request');
    assert.match(((await long.json()) as { error: string }).error, 'at most 200 characters', 'expected the reason');
    const extra = await fetch(`http://127.0.0.1:${server.port}/state/baselines/a/b`);
    assert.is(extra.status, 404, 'expected a path with a further segment not taken for a user id');
    assert.equal(enrich.asked, [], 'expected the store never asked');
  } finally {
    await server.close();
  }
});

test('a user whose id holds a % reads their own baselines with their token', async () => {
  const enrich = enrichHoldingEveryone();
  const server = await serve(enrich.source, { PUSH_JWT_SECRETS: secret });
  try {
    const own = await fetch(`http://127.0.0.1:${server.port}/state/baselines/user%2541`, { headers: { authorization: `Bearer ${await userToken('user%41')}` } });
    assert.is(own.status, 200, 'expected user%41 to read their own baselines');
    const percent = await fetch(`http://127.0.0.1:${server.port}/state/baselines/%25`, { headers: { authorization: `Bearer ${await userToken('%')}` } });
    assert.is(percent.status, 200, 'expected user % to read their own baselines');
    const other = await fetch(`http://127.0.0.1:${server.port}/state/baselines/user%2541`, { headers: { authorization: `Bearer ${await userToken('userA')}` } });
    assert.is(other.status, 403, 'expected userA refused the baselines of user%41');
    assert.equal(enrich.asked, ['user%41', '%'], 'expected the store asked only for the token holders’ own ids');
  } finally {
    await server.close();
  }
});

/** enrich as the route sees it, answering every query with `answer` (or rejecting with it). */
function enrichAnswering(answer: StateQueryAnswer | Error): BaselineSource {
  return { stateStores: {}, isReady: () => true, queryStore: async () => (answer instanceof Error ? Promise.reject(answer) : answer) };
}

test('an answer enrich cannot give yet is 503 with Retry-After and the reason, never 404 or 500', async () => {
  const cases: Array<[string, BaselineSource | undefined, string]> = [
    ['starting', undefined, 'enrich is starting'],
    ['restoring', enrichAnswering({ where: 'restoring', partition: 3 }), 'being restored here'],
    ['rebalancing', enrichAnswering({ where: 'unassigned', partition: 3 }), 'rebalancing'],
    ['kafka away', enrichAnswering(new DependencyUnavailableError('kafka', 1_000, { cause: new Error('kafka did not answer within 3000 ms') })), 'kafka does not answer'],
  ];
  for (const [what, source, reason] of cases) {
    const server = await serve(source, { STATE_QUERY_UNAUTHENTICATED: 'true' });
    try {
      const answer = await fetch(`http://127.0.0.1:${server.port}/state/baselines/u1`);
      assert.is(answer.status, 503, `${what}: expected 503`);
      assert.is(answer.headers.get('retry-after'), '1', `${what}: expected Retry-After`);
      assert.match(((await answer.json()) as { error: string }).error, reason, `${what}: expected the reason`);
    } finally {
      await server.close();
    }
  }
});

test('a user held by another instance: 409 naming it, with the URL to ask there when it gave its endpoint', async () => {
  const owner = { clientId: 'bridge-enrich', host: '10.0.0.7', memberId: 'm-2', endpoint: 'http://enrich-2:9464' };
  const server = await serve(enrichAnswering({ where: 'elsewhere', partition: 5, owner }), { STATE_QUERY_UNAUTHENTICATED: 'true' });
  try {
    const answer = await fetch(`http://127.0.0.1:${server.port}/state/baselines/a%2Fb`);
    assert.is(answer.status, 409);
    const body = (await answer.json()) as { instance: typeof owner; url: string; partition: number };
    assert.equal(body.instance, owner, 'expected the holder named');
    assert.is(body.url, 'http://enrich-2:9464/state/baselines/a%2Fb', 'expected the URL of the same query at the holder, the id encoded once');
    assert.is(body.partition, 5);
  } finally {
    await server.close();
  }
});

test('a JWKS that cannot be fetched is 503 with Retry-After: the token may be good, so the app asks again rather than signing its user out', async () => {
  // A port that was free a moment ago: nothing answers there.
  const closed = await freePort();
  const { privateKey } = await generateKeyPair('RS256');
  const signed = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('u1').setExpirationTime('5m').sign(privateKey);
  const enrich = enrichHoldingEveryone();
  const server = await serve(enrich.source, { PUSH_JWKS_URL: `http://127.0.0.1:${closed}/jwks.json` });
  try {
    const answer = await fetch(`http://127.0.0.1:${server.port}/state/baselines/u1`, { headers: { authorization: `Bearer ${signed}` } });
    assert.is(answer.status, 503, 'expected 503, not 401 (or 500)');
    assert.ok(answer.headers.get('retry-after'), 'expected Retry-After');
    assert.match(((await answer.json()) as { error: string }).error, 'cannot be fetched', 'expected the reason');
    assert.equal(enrich.asked, [], 'expected the store never asked');
  } finally {
    await server.close();
  }
});

test.run();
