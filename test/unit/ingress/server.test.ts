import { createHmac } from 'node:crypto';
import { request, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Message } from 'kafkajs';
import { createIngress, RecordTooLargeError, SinkUnavailableError, type Ingress, type IngressOptions, type RawSink } from '../../../src/ingress/index.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { ingressTestOptions } from '../../support/ingress-options.ts';
import { endSlowRequests, slowRequest } from '../../support/slow-request.ts';

/** In-memory sink: records what ingress sends; `hold` keeps acks back to test in-flight limits. */
function memorySink() {
  const sent: Array<{ topic: string; message: Message }> = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let failure: Error | undefined;
  const sink: RawSink & { sent: typeof sent; hold(): void; release(): void; fail(error?: Error): void } = {
    sent,
    async send(topic, message) {
      if (failure) throw failure;
      if (gate) await gate;
      sent.push({ topic, message });
    },
    ready: () => failure === undefined,
    connect: async () => {},
    disconnect: async () => {},
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open?.();
      gate = undefined;
    },
    fail(error) {
      failure = error;
    },
  };
  return sink;
}

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString());
    done();
  },
});

/** Tight limits, so the tests reach them with a few small requests. */
function testOptions(sink: RawSink, overrides: Partial<IngressOptions> = {}): IngressOptions {
  return ingressTestOptions({
    sink,
    logger: createLogger({ level: 'info' }, logSink),
    basePath: '/api/bridge',
    maxBodyBytes: 1024,
    bodyTimeoutMs: 400,
    maxInFlight: 2,
    maxInFlightBytes: 1_048_576,
    maxConnectionsPerSource: 8,
    shutdownGraceMs: 2_000,
    version: '0.0.0-test',
    ouraVerificationToken: 'oura-token',
    googleHealthSecrets: ['gh-secret'],
    ...overrides,
  });
}

interface Context {
  ingress: Ingress;
  sink: ReturnType<typeof memorySink>;
  url: string;
}

const test = suite<Context>('ingress server');

test.before.each(async (context) => {
  context.sink = memorySink();
  context.ingress = createIngress(testOptions(context.sink));
  const address = await context.ingress.listen();
  context.url = `http://127.0.0.1:${address.port}/api/bridge`;
});

test.after.each(async (context) => {
  context.sink.release();
  await context.ingress.close();
});

const json = { 'content-type': 'application/json' };

function rawPost(url: string, headers: OutgoingHttpHeaders, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}
const ouraHeaders = (body: string) => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { ...json, 'x-oura-timestamp': timestamp, 'x-oura-signature': createHmac('sha256', 's').update(timestamp + body).digest('hex').toUpperCase() };
};
const ouraBody = '{"event_type":"create","data_type":"sleep","object_id":"o-1","user_id":"patient-7"}';

test('a signed delivery is written byte for byte to raw.<vendor> and answered 202 with its id', async ({ url, sink }) => {
  const headers = ouraHeaders(ouraBody);
  const res = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers, body: ouraBody });
  assert.is(res.status, 202, 'accepted');
  const { id } = (await res.json()) as { id: string };
  assert.is(sink.sent.length, 1, 'one raw record');
  const [record] = sink.sent;
  assert.is(record!.topic, 'raw.oura', 'raw topic of the vendor');
  assert.is((record!.message.value as Buffer).toString(), ouraBody, 'body byte for byte');
  assert.is(record!.message.key, null, 'raw records are unkeyed');
  const h = record!.message.headers as Record<string, string>;
  assert.is(h['x-request-id'], id, 'x-request-id equals the id answered');
  assert.is(h['x-oura-signature'], headers['x-oura-signature'], 'signature header verbatim');
  assert.is(h['x-oura-timestamp'], headers['x-oura-timestamp'], 'timestamp header verbatim');
  assert.is(h['content-type'], 'application/json', 'content type kept');
  assert.ok(Math.abs(Number(h['received-at']) - Date.now()) < 5_000, 'received-at in ms');
});

test('cheap checks: 404 unknown vendor, 405 wrong method, 415 content type, 401 missing signature', async ({ url, sink }) => {
  assert.is((await fetch(`${url}/webhooks/fitbit`, { method: 'POST', headers: json, body: '{}' })).status, 404, 'unknown vendor');
  assert.is((await fetch(`${url}/webhooks/whoop`, { method: 'PUT', headers: json, body: '{}' })).status, 405, 'PUT');
  assert.is((await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: { ...ouraHeaders('x'), 'content-type': 'text/plain' }, body: 'x' })).status, 415, 'text/plain');
  assert.is((await fetch(`${url}/webhooks/oura`, { method: 'POST', body: 'x' })).status, 415, 'no content type');
  const unsigned = await fetch(`${url}/webhooks/whoop`, { method: 'POST', headers: json, body: '{}' });
  assert.is(unsigned.status, 401, 'missing WHOOP signature');
  assert.match(((await unsigned.json()) as { error: string }).error, /x-whoop-signature/, 'says which header is missing');
  assert.is(sink.sent.length, 0, 'nothing written for rejected requests');
});

test('413: body over the limit, declared or streamed', async ({ url, sink }) => {
  const big = 'x'.repeat(2048);
  assert.is((await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(big), body: big })).status, 413, 'content-length over limit');
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  });
  const chunked = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(big), body: stream, duplex: 'half' } as RequestInit);
  assert.is(chunked.status, 413, 'chunked body over limit');
  assert.is(sink.sent.length, 0, 'nothing written');
});

test('400: empty body, or a signature header sent twice with different values', async ({ url, sink }) => {
  assert.is((await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(''), body: '' })).status, 400, 'empty body');
  // fetch folds repeated headers into one line; node:http sends an array as separate lines.
  const headers = { ...ouraHeaders(ouraBody), 'x-oura-signature': [ouraHeaders(ouraBody)['x-oura-signature'], 'AB'.repeat(32)] };
  assert.is(await rawPost(`${url}/webhooks/oura`, headers, ouraBody), 400, 'duplicated signature');
  assert.is(sink.sent.length, 0, 'nothing written');
});

test('a signature header sent twice with the same value is written once, as the vendor signed it, not joined into a value that matches nothing', async ({ url, sink }) => {
  const headers = ouraHeaders(ouraBody);
  const signature = headers['x-oura-signature'];
  assert.is(await rawPost(`${url}/webhooks/oura`, { ...headers, 'x-oura-signature': [signature, signature] }, ouraBody), 202, 'accepted');
  const h = sink.sent[0]!.message.headers as Record<string, string>;
  assert.is(h['x-oura-signature'], signature, 'expected the one value (Node joins repeats as "v, v")');
});

test('a compressed body is refused with 415 and the reason, not accepted and then lost as a bad signature', async ({ url, sink }) => {
  const res = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: { ...ouraHeaders(ouraBody), 'content-encoding': 'gzip' }, body: ouraBody });
  assert.is(res.status, 415);
  assert.match(((await res.json()) as { error: string }).error, 'content encoding gzip is not accepted');
  const identity = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: { ...ouraHeaders(ouraBody), 'content-encoding': 'identity' }, body: ouraBody });
  assert.is(identity.status, 202, 'expected identity accepted');
  assert.is(sink.sent.length, 1, 'expected only the uncompressed one written');
});

test('Oura challenge: 200 echo with our token, 401 with another', async ({ url }) => {
  const ok = await fetch(`${url}/webhooks/oura?verification_token=oura-token&challenge=abc123`);
  assert.is(ok.status, 200, 'our token');
  assert.equal(await ok.json(), { challenge: 'abc123' }, 'challenge echoed');
  assert.is((await fetch(`${url}/webhooks/oura?verification_token=nope&challenge=abc123`)).status, 401, 'wrong token');
});

test('Google Health verification: 201 with our Authorization, 401 without; nothing downstream', async ({ url, sink }) => {
  const body = '{"type":"verification"}';
  assert.is((await fetch(`${url}/webhooks/google-health`, { method: 'POST', headers: { ...json, authorization: 'gh-secret' }, body })).status, 201, 'with secret');
  assert.is((await fetch(`${url}/webhooks/google-health`, { method: 'POST', headers: json, body })).status, 401, 'without');
  assert.is((await fetch(`${url}/webhooks/google-health`, { method: 'POST', headers: { ...json, authorization: 'guess' }, body })).status, 401, 'wrong secret');
  assert.is(sink.sent.length, 0, 'handshakes produce nothing');
});

test('Google Health delivery: the bearer secret is recorded only as its SHA-256', async ({ url, sink }) => {
  const body = '{"data":{"healthUserId":"g-1","operation":"UPSERT","dataType":"steps","intervals":[]}}';
  const res = await fetch(`${url}/webhooks/google-health`, { method: 'POST', headers: { ...json, authorization: 'gh-secret' }, body });
  assert.is(res.status, 202, 'accepted');
  const headers = sink.sent[0]!.message.headers as Record<string, string>;
  assert.not.ok('authorization' in headers, 'no authorization header on the record');
  assert.is(headers['authorization-sha256']?.length, 64, 'sha256 hex of the secret instead');
});

test('Withings HEAD is 200; Polar PING is 200 with nothing downstream', async ({ url, sink }) => {
  assert.is((await fetch(`${url}/webhooks/withings`, { method: 'HEAD' })).status, 200, 'Withings HEAD');
  const ping = await fetch(`${url}/webhooks/polar`, { method: 'POST', headers: json, body: '{"event":"PING","timestamp":"2026-06-01T12:00:00Z"}' });
  assert.is(ping.status, 200, 'PING answered 200 without a signature');
  assert.is(sink.sent.length, 0, 'PING produces nothing');
});

test('Withings form body is accepted without a signature header', async ({ url, sink }) => {
  const res = await fetch(`${url}/webhooks/withings`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'userid=1&appli=44&startdate=1&enddate=2' });
  assert.is(res.status, 202, 'accepted');
  assert.is(sink.sent[0]?.topic, 'raw.withings', 'raw.withings');
  assert.ok((sink.sent[0]?.message.headers as Record<string, string>)['source-address'], 'source address recorded for the allow-list');
});

/** Posts until one is refused (503) or 5 s passed, while earlier posts wait for a held sink: the last answer. */
async function postUntilRefused(post: () => Promise<Response>): Promise<Response | undefined> {
  let last: Response | undefined;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    last = await post();
    if (last.status === 503) break;
  }
  return last;
}

test('beyond the in-flight limit: 503 with Retry-After; accepted ones finish', async ({ url, sink }) => {
  sink.hold();
  const post = () => fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  const first = [post(), post()];
  const third = await postUntilRefused(post);
  assert.is(third?.status, 503, 'third concurrent request refused');
  assert.is(third?.headers.get('retry-after'), '1', 'Retry-After');
  sink.release();
  for (const res of await Promise.all(first)) assert.is(res.status, 202, 'held requests accepted once acked');
});

test('beyond INGRESS_MAX_IN_FLIGHT_BYTES of bodies waiting for Kafka: 503 with Retry-After; a lone body larger than the bound gets through', async () => {
  const sink = memorySink();
  const bodyBytes = Buffer.byteLength(ouraBody);
  const ingress = createIngress(testOptions(sink, { maxInFlight: 10, maxInFlightBytes: bodyBytes + 10 }));
  const { port } = await ingress.listen();
  const post = () => fetch(`http://127.0.0.1:${port}/api/bridge/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  try {
    sink.hold();
    const first = post();
    const second = await postUntilRefused(post);
    assert.is(second?.status, 503, 'a second body over the byte bound refused while the first waits');
    assert.is(second?.headers.get('retry-after'), '1', 'Retry-After');
    assert.match(await second!.text(), 'too many bytes in flight', 'the reason');
    assert.is((await ingress.metrics.inFlightBytes.get()).values[0]?.value, bodyBytes, 'ingress_in_flight_bytes holds the waiting body');
    sink.release();
    assert.is((await first).status, 202, 'the waiting one accepted once acked');
    assert.is((await ingress.metrics.inFlightBytes.get()).values[0]?.value, 0, 'and none once it is answered');
  } finally {
    sink.release();
    await ingress.close();
  }
  const tight = memorySink();
  const small = createIngress(testOptions(tight, { maxInFlightBytes: bodyBytes - 1 }));
  const address = await small.listen();
  try {
    const res = await fetch(`http://127.0.0.1:${address.port}/api/bridge/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
    assert.is(res.status, 202, 'a body larger than the bound is accepted when nothing else waits');
  } finally {
    await small.close();
  }
});

test('Kafka unavailable: 503 with Retry-After, and /ready and /health say so', async ({ url, sink }) => {
  sink.fail(new SinkUnavailableError('breaker_open', 7));
  const res = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  assert.is(res.status, 503, '503');
  assert.is(res.headers.get('retry-after'), '7', 'Retry-After from the breaker');
  assert.is((await fetch(`${url}/ready`)).status, 503, 'not ready');
  const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>;
  assert.equal(health, { status: 'degraded', service: 'biometric-bridge', version: '0.0.0-test', connections: { kafka: false } }, 'health shape of the seeds');
});

test('/health, /ready and /metrics with the seeds\' metric names', async ({ url }) => {
  await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  assert.is((await fetch(`${url}/ready`)).status, 200, 'ready');
  assert.is(((await (await fetch(`${url}/health`)).json()) as { status: string }).status, 'healthy', 'healthy');
  const text = await (await fetch(`${url}/metrics`)).text();
  assert.match(text, /webhook_events_total\{source="oura",status="202"\} 1/, 'requests by vendor and status');
  assert.match(text, /webhook_process_duration_seconds_bucket\{le="[^"]+",source="oura"\}/, 'latency histogram');
  assert.match(text, /active_webhook_tasks 0/, 'in-flight gauge');
  assert.match(text, /ingress_producer_errors_total/, 'producer errors');
});

test('access logs carry no user id, body or signature', async ({ url }) => {
  logLines.length = 0;
  await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  const text = logLines.join('');
  assert.match(text, /"msg":"webhook"/, 'an access log line was written');
  assert.not.match(text, /patient-7/, 'no user id');
  assert.not.match(text, /object_id/, 'no body');
});

test('graceful shutdown waits for an in-flight request, then refuses new ones', async ({ url, sink, ingress }) => {
  sink.hold();
  const pending = fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  const deadline = Date.now() + 5_000;
  while (ingress.metrics.active.get !== undefined && (await ingress.metrics.active.get()).values[0]?.value !== 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const closing = ingress.close();
  setTimeout(() => sink.release(), 50);
  assert.is((await pending).status, 202, 'in-flight request completed during shutdown');
  await closing;
  assert.is(sink.sent.length, 1, 'its record was written');
});

const slowPost = (url: string, headers: OutgoingHttpHeaders, localAddress = '127.0.0.1') =>
  slowRequest(`${url}/webhooks/oura`, headers, { localAddress, declaredBytes: 100 });

test('a body not complete within the body timeout gets 408 at that time, and its connection is closed', async ({ url }) => {
  const started = Date.now();
  const { answer } = slowPost(url, json);
  const { status, body } = await answer;
  const ms = Date.now() - started;
  assert.is(status, 408, 'expected 408 for a stalled body');
  assert.match(body, 'body not complete within 400 ms', 'expected the reason to name the timeout');
  assert.ok(ms >= 380 && ms < 1_500, `expected the answer at about 400 ms, got ${ms} ms`);
});

test('bodies still arriving are not in flight: with the in-flight limit held by slow uploads, a complete webhook is accepted', async ({ url }) => {
  const slow = Array.from({ length: 4 }, () => slowPost(url, json));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const res = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  assert.is(res.status, 202, 'expected 202 while four slow uploads (over the in-flight limit of 2) are open');
  await endSlowRequests(slow);
});

test('one address keeps at most INGRESS_MAX_CONNECTIONS_PER_SOURCE requests open: the next gets 429, other addresses are served', async ({ url }) => {
  const slow = Array.from({ length: 8 }, () => slowPost(url, json, '127.0.0.2'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const refused = slowPost(url, json, '127.0.0.2');
  const { status, body } = await refused.answer;
  assert.is(status, 429, 'expected 429 for a ninth open request from 127.0.0.2');
  assert.match(body, 'too many open requests from this address', 'expected the reason');
  const other = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  assert.is(other.status, 202, 'expected 127.0.0.1 to be served meanwhile');
  await endSlowRequests(slow);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const again = await rawPost(`${url}/webhooks/oura`, ouraHeaders(ouraBody), ouraBody);
  assert.is(again, 202, 'expected the slots of closed requests to be free again');
});

test('a client that disconnects mid-body is counted, not logged as an error', async ({ url, ingress }) => {
  logLines.length = 0;
  const { req, answer } = slowPost(url, json);
  await new Promise((resolve) => setTimeout(resolve, 50));
  req.destroy();
  await answer.catch(() => undefined);
  const deadline = Date.now() + 2_000;
  while ((await ingress.metrics.aborted.get()).values[0]?.value !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is((await ingress.metrics.aborted.get()).values[0]?.value, 1, 'expected ingress_requests_aborted_total 1');
  const lines = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; status?: number });
  assert.equal(lines.filter((line) => line.level >= 50), [], 'expected no error-level log line');
  assert.ok(lines.some((line) => line.msg === 'webhook' && line.status === 499 && line.level === 30), 'expected an info access-log line with status 499');
});

test('a record larger than the raw topic accepts is answered 413 with the reason, not 503', async ({ url, sink }) => {
  sink.fail(new RecordTooLargeError(1_100_000, 1_048_588));
  const res = await fetch(`${url}/webhooks/oura`, { method: 'POST', headers: ouraHeaders(ouraBody), body: ouraBody });
  assert.is(res.status, 413, 'expected 413');
  assert.match(((await res.json()) as { error: string }).error, 'larger than the raw topic accepts (1048588 bytes)', 'expected the reason');
  assert.is(res.headers.get('retry-after'), null, 'expected no Retry-After: retrying cannot help');
});

test('an idle kept-alive connection is closed after INGRESS_KEEP_ALIVE_TIMEOUT_MS, not Node\'s 5 s', async () => {
  const ingress = createIngress(testOptions(memorySink(), { keepAliveTimeoutMs: 300 }));
  const { port } = await ingress.listen();
  try {
    // A raw socket: Node's own client closes an idle connection first, from the server's Keep-Alive hint.
    const idleMs = await new Promise<number>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /api/bridge/health HTTP/1.1\r\nHost: ingress\r\nConnection: keep-alive\r\n\r\n'));
      let answeredAt = 0;
      socket.on('data', () => (answeredAt ||= performance.now()));
      socket.on('error', reject);
      socket.on('close', () => resolve(performance.now() - answeredAt));
    });
    // Node adds a second of its own to the timeout (keepAliveTimeoutBuffer); its default would close after 6 s.
    assert.ok(idleMs >= 250 && idleMs < 3_000, `closed after ${idleMs.toFixed(0)} ms idle`);
  } finally {
    await ingress.close();
  }
});

test.run();
