import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTerraPayloadFetcher } from '../../../src/vendors/terra/payload-fetch.ts';
import { DependencyUnavailableError, RecordError } from '../../../src/streams/errors.ts';

// A loopback server stands in for Terra's storage; each path answers a scripted status sequence.
const script = new Map<string, number[]>();
const hits = new Map<string, number>();
const server: Server = createServer((req, res) => {
  const path = req.url ?? '';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const status = script.get(path)?.shift() ?? 200;
  res.writeHead(status).end(status === 200 ? '{"type":"sleep","user":{"user_id":"u"},"data":[]}' : status === 403 ? 'Request has expired' : 'nope');
});
let base = '';
const now = 1_736_942_400_000;
const pointer = (path: string) => ({ type: 's3_payload', url: `${base}${path}`, expires_in: 600 });

test.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => assert.unreachable('expected the fetch to fail'), (error: unknown) => error);
}

test('fetches the document', async () => {
  const doc = await createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/ok'), now);
  assert.is(doc['type'], 'sleep', 'expected the document body');
});

test('retries a 503 and succeeds', async () => {
  script.set('/flaky', [503]);
  const doc = await createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/flaky'), now);
  assert.is(doc['type'], 'sleep', 'expected the second attempt to succeed');
  assert.is(hits.get('/flaky'), 2, 'expected two requests');
});

test('403 "expired" is payload_expired, 404 is payload_not_found, neither retried', async () => {
  script.set('/expired', [403]);
  const expired = await failure(createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/expired'), now));
  assert.instance(expired, RecordError, 'expected a RecordError');
  assert.is((expired as RecordError).reason, 'payload_expired', 'expected payload_expired');
  assert.is(hits.get('/expired'), 1, 'expected no retry of an expired URL');
  script.set('/gone', [404]);
  const gone = await failure(createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/gone'), now));
  assert.is((gone as RecordError).reason, 'payload_not_found', 'expected payload_not_found');
});

test('a URL past expires_in is payload_expired without a request', async () => {
  const error = await failure(createTerraPayloadFetcher({ now: () => now + 600_001 }).fetchDocument(pointer('/never'), now));
  assert.is((error as RecordError).reason, 'payload_expired', 'expected payload_expired');
  assert.is(hits.get('/never'), undefined, 'expected no request');
});

test('only https, or http on loopback, may be fetched', async () => {
  const error = await failure(createTerraPayloadFetcher({ now: () => now }).fetchDocument({ type: 's3_payload', url: 'http://169.254.169.254/latest', expires_in: 600 }, now));
  assert.is((error as RecordError).reason, 'unmappable', 'expected a refused URL');
});

test('storage down: retries run out, then the breaker opens and the stage is told to pause', async () => {
  script.set('/down', Array(20).fill(503));
  const fetcher = createTerraPayloadFetcher({ now: () => now, maxAttempts: 2, breakerThreshold: 3, halfOpenAfterMs: 60_000 });
  const first = await failure(fetcher.fetchDocument(pointer('/down'), now));
  assert.not.instance(first, RecordError, 'expected a transient error (retried by the runtime), not a dead letter');
  assert.not.instance(first, DependencyUnavailableError, 'expected the breaker still closed after two failures');
  const second = await failure(fetcher.fetchDocument(pointer('/down'), now));
  const third = second instanceof DependencyUnavailableError ? second : await failure(fetcher.fetchDocument(pointer('/down'), now));
  assert.instance(third, DependencyUnavailableError, 'expected the open breaker to surface as DependencyUnavailableError');
  assert.is((third as DependencyUnavailableError).dependency, 'terra-storage', 'expected the dependency named');
  const requestsWhileOpen = hits.get('/down');
  await failure(fetcher.fetchDocument(pointer('/down'), now));
  assert.is(hits.get('/down'), requestsWhileOpen, 'expected no request while the breaker is open');
});

test.run();
