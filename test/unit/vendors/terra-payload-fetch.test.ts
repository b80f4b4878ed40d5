import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTerraPayloadFetcher } from '../../../src/vendors/terra/payload-fetch.ts';
import { DependencyUnavailableError, RecordError } from '../../../src/streams/errors.ts';

// A loopback server stands in for Terra's storage; each path answers a scripted status sequence.
const script = new Map<string, number[]>();
const hits = new Map<string, number>();
/** Paths that redirect (to the location given) or answer a body of their own. */
const redirects = new Map<string, string>();
const bodies = new Map<string, { chunks: number; chunkBytes: number; declared: boolean }>();
const server: Server = createServer((req, res) => {
  const path = req.url ?? '';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const location = redirects.get(path);
  if (location !== undefined) return void res.writeHead(302, { location }).end();
  const body = bodies.get(path);
  if (body !== undefined) {
    const chunk = Buffer.alloc(body.chunkBytes, 0x20);
    res.writeHead(200, body.declared ? { 'content-length': String(body.chunks * body.chunkBytes) } : {});
    // Written as the reader takes it, so a reader that stops early leaves most of it unsent.
    let sent = 0;
    const more = (): void => {
      while (sent < body.chunks) {
        sent += 1;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('close', () => (sent = body.chunks));
    return more();
  }
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

test('a redirect is followed only where a pointer could lead: a redirect to plain http off loopback is payload_redirect_refused, not fetched', async () => {
  redirects.set('/moved', '/ok');
  const moved = await createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/moved'), now);
  assert.is(moved['type'], 'sleep', 'expected an allowed redirect followed');
  // Plain http off the loopback addresses allowed (still loopback here, so a build without the check reaches nothing).
  redirects.set('/to-metadata', 'http://127.0.0.2:1/latest/meta-data/');
  const refused = await failure(createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/to-metadata'), now));
  assert.instance(refused, RecordError, 'expected a dead letter, not a retry');
  assert.is((refused as RecordError).reason, 'payload_redirect_refused');
  assert.is(hits.get('/to-metadata'), 1, 'expected no retry');
  redirects.set('/loop', '/loop');
  assert.is(((await failure(createTerraPayloadFetcher({ now: () => now }).fetchDocument(pointer('/loop'), now))) as RecordError).reason, 'payload_redirect_refused', 'expected a redirect loop refused');
});

test('a document past maxDocumentBytes is payload_too_large, declared or not, and the rest is not read', async () => {
  bodies.set('/declared', { chunks: 64, chunkBytes: 16_384, declared: true });
  const declared = await failure(createTerraPayloadFetcher({ now: () => now, maxDocumentBytes: 65_536 }).fetchDocument(pointer('/declared'), now));
  assert.is((declared as RecordError).reason, 'payload_too_large', 'expected a declared length past the limit refused');
  bodies.set('/streamed', { chunks: 64, chunkBytes: 16_384, declared: false });
  const streamed = await failure(createTerraPayloadFetcher({ now: () => now, maxDocumentBytes: 65_536 }).fetchDocument(pointer('/streamed'), now));
  assert.is((streamed as RecordError).reason, 'payload_too_large', 'expected a body that grows past the limit refused');
  assert.is(hits.get('/streamed'), 1, 'expected no retry');
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
