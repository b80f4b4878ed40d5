import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResourceGoneError, TokenRejectedError } from '../../../src/vendors/kit/api-get.ts';
import { createVendorHttp, type VendorHttpOptions } from '../../../src/hydrate/vendor-http.ts';
import { DependencyUnavailableError, RecordError } from '../../../src/streams/errors.ts';
import { startVendorApiSim, type VendorApiSim } from '../../support/vendor-sim/api-server.ts';

// How the vendor's answers are sorted for the stage's error policy, against a real local server.

let sim: VendorApiSim;
const token = 'token-ok';
const fast = { initialDelayMs: 1, maxDelayMs: 1 };
const http = (extra: Partial<VendorHttpOptions> = {}) =>
  createVendorHttp({ vendor: 'oura', baseUrl: sim.baseUrl('oura'), ...fast, ...extra });
const failure = (promise: Promise<unknown>) => promise.then(() => assert.unreachable('expected the request to fail'), (error: unknown) => error);

test.before(async () => {
  sim = await startVendorApiSim();
  sim.grant(token);
  sim.serve('oura', '/v2/usercollection/daily_sleep/d1', { id: 'd1', score: 64 });
});
test.after(() => sim.close());

test('200 resolves the JSON document, with the bearer token and query', async () => {
  const doc = await http().get('/v2/usercollection/daily_sleep/d1', token);
  assert.equal(doc, { id: 'd1', score: 64 }, 'expected the served document');
});

test('404 is ResourceGoneError, 401 is TokenRejectedError, neither retried', async () => {
  const statuses: (number | 'error')[] = [];
  const client = http({ onResponse: (status) => void statuses.push(status) });
  assert.instance(await failure(client.get('/v2/usercollection/daily_sleep/missing', token)), ResourceGoneError, 'expected 404 → gone');
  assert.instance(await failure(client.get('/v2/usercollection/daily_sleep/d1', 'token-unknown')), TokenRejectedError, 'expected 401 → token rejected');
  assert.equal(statuses, [404, 401], 'expected one attempt each, reported by status');
});

test("429 is DependencyUnavailableError with the vendor's Retry-After, not retried", async () => {
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', [{ status: 429, headers: { 'retry-after': '7' } }]);
  const before = sim.requests('oura').length;
  const error = await failure(http().get('/v2/usercollection/daily_sleep/d1', token));
  assert.instance(error, DependencyUnavailableError, 'expected a pause, not a dead letter');
  assert.is((error as DependencyUnavailableError).retryAfterMs, 7_000, 'expected Retry-After: 7 → 7 s');
  assert.is((error as DependencyUnavailableError).dependency, 'oura-api', 'expected the vendor API as the dependency');
  assert.is(sim.requests('oura').length - before, 1, 'expected no retry of a 429');
});

test('a 429 without Retry-After waits for X-RateLimit-Reset (WHOOP), else a minute', async () => {
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', [{ status: 429, headers: { 'x-ratelimit-reset': '3' } }, { status: 429 }]);
  const reset = await failure(http().get('/v2/usercollection/daily_sleep/d1', token));
  assert.is((reset as DependencyUnavailableError).retryAfterMs, 3_000, 'expected X-RateLimit-Reset: 3 → 3 s');
  const bare = await failure(http().get('/v2/usercollection/daily_sleep/d1', token));
  assert.is((bare as DependencyUnavailableError).retryAfterMs, 60_000, 'expected a minute without either header');
});

test('a 429 asking for no wait, or a wait past setTimeout’s range, pauses between a second and an hour', async () => {
  const past = new Date(Date.now() - 60_000).toUTCString();
  const asked = ['0', '-5', past, String(2 ** 31 / 1000), '86400'];
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', asked.map((value) => ({ status: 429, headers: { 'retry-after': value } })));
  const waits: number[] = [];
  for (let i = 0; i < asked.length; i += 1) waits.push(((await failure(http().get('/v2/usercollection/daily_sleep/d1', token))) as DependencyUnavailableError).retryAfterMs);
  assert.equal(waits, [1_000, 1_000, 1_000, 3_600_000, 3_600_000], 'expected 0, a negative value and a past date to wait 1 s, and 2^31 ms or a day to wait 1 h');
});

test('5xx is retried with backoff and then succeeds', async () => {
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', [{ status: 503 }, { status: 500 }]);
  const doc = await http().get('/v2/usercollection/daily_sleep/d1', token);
  assert.equal(doc, { id: 'd1', score: 64 }, 'expected the third attempt to succeed');
});

test('a slow answer times out and counts as a failure', async () => {
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', [{ status: 200, body: {}, delayMs: 300 }]);
  const statuses: (number | 'error')[] = [];
  const error = await failure(http({ timeoutMs: 50, maxAttempts: 1, onResponse: (status) => void statuses.push(status) }).get('/v2/usercollection/daily_sleep/d1', token));
  assert.ok(!(error instanceof RecordError) && !(error instanceof DependencyUnavailableError), 'expected a transient failure');
  assert.equal(statuses, ['error'], 'expected the timeout reported as error');
});

test('5 consecutive failures open the breaker: then DependencyUnavailableError without a request', async () => {
  const client = http({ maxAttempts: 1, halfOpenAfterMs: 60_000 });
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', Array.from({ length: 5 }, () => ({ status: 502 })));
  for (let i = 0; i < 5; i += 1) await failure(client.get('/v2/usercollection/daily_sleep/d1', token));
  const before = sim.requests('oura').length;
  const error = await failure(client.get('/v2/usercollection/daily_sleep/d1', token));
  assert.instance(error, DependencyUnavailableError, 'expected the open breaker to pause');
  assert.is((error as DependencyUnavailableError).retryAfterMs, 60_000, 'expected a pause until half-open');
  assert.is(sim.requests('oura').length, before, 'expected no request while open');
});

test('another 4xx is the dead letter vendor_refused, naming no ids', async () => {
  sim.script('oura', '/v2/usercollection/daily_sleep/d1', [{ status: 403 }]);
  const error = await failure(http().get('/v2/usercollection/daily_sleep/d1', token));
  assert.instance(error, RecordError, 'expected a RecordError');
  assert.is((error as RecordError).reason, 'vendor_refused', 'expected vendor_refused');
  assert.not.match((error as RecordError).detail, 'd1', 'expected no document id in the detail');
});

test.run();
