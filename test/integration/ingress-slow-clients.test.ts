import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIngress, createKafkaRawSink, type Ingress } from '../../src/ingress/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { kafkaClient } from '../support/services.ts';
import { endSlowRequests, slowRequest, type SlowRequest } from '../support/slow-request.ts';
import { isolatedTopics, testIngressOptions, whoopRequest } from './ingress-support.ts';

const test = suite('ingress with slow and vanishing clients (real broker)');

/** Log lines the ingress writes, parsed, so tests can assert on levels and messages. */
function logSink() {
  const lines: Array<{ level: number; msg: string; status?: number }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

/** A WHOOP POST that sends its headers and part of its body, then stalls. */
function slowUpload(port: number, localAddress: string): SlowRequest {
  const { headers } = whoopRequest({ user_id: 1, id: 'slow', type: 'sleep.updated', trace_id: 't-slow' });
  return slowRequest(`http://127.0.0.1:${port}/webhooks/whoop`, headers, { localAddress });
}

async function startIngress(overrides: { bodyTimeoutMs: number; maxConnectionsPerSource: number }, logger = createLogger({ level: 'silent' })) {
  const topics = await isolatedTopics();
  const sink = createKafkaRawSink({ kafka: kafkaClient(), timeoutMs: 5_000 });
  const ingress: Ingress = createIngress(testIngressOptions(topics, { sink, logger, maxInFlight: 100, ...overrides }));
  const { port } = await ingress.listen();
  // Closing the ingress also deletes its topics.
  const close = async () => {
    await ingress.close();
    await topics.remove();
  };
  return { ingress, port, close };
}

async function webhook(port: number, n: number): Promise<number> {
  const { headers, body } = whoopRequest({ user_id: n, id: `id-${n}`, type: 'sleep.updated', trace_id: `t-fast-${n}` });
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/whoop`, { method: 'POST', headers, body: new Uint8Array(body) });
  await res.arrayBuffer();
  return res.status;
}

test('100 slow uploads do not make ordinary webhooks get 503', async () => {
  const { ingress, port, close } = await startIngress({ bodyTimeoutMs: 20_000, maxConnectionsPerSource: 200 });
  const slow = Array.from({ length: 100 }, () => slowUpload(port, '127.0.0.2'));
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, n) => webhook(port, n)));
    assert.equal(statuses, Array.from({ length: 20 }, () => 202), 'expected every ordinary webhook accepted while 100 uploads stall (in-flight limit 100)');
  } finally {
    await endSlowRequests(slow);
    await close();
  }
});

test('slow uploads from one address are bounded by the per-source limit (429) while other addresses are served', async () => {
  const { ingress, port, close } = await startIngress({ bodyTimeoutMs: 20_000, maxConnectionsPerSource: 10 });
  const slow = Array.from({ length: 10 }, () => slowUpload(port, '127.0.0.2'));
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = slowUpload(port, '127.0.0.2');
    const answer = await refused.answer;
    assert.is(answer.status, 429, 'expected the 11th open request from 127.0.0.2 to be refused');
    assert.is(await webhook(port, 1), 202, 'expected 127.0.0.1 served meanwhile');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(text, /ingress_source_limit_refusals_total 1/, 'expected the refusal counted');
  } finally {
    await endSlowRequests(slow);
    await close();
  }
});

test('a body not complete within INGRESS_BODY_TIMEOUT_MS gets 408 at that time', async () => {
  const { ingress, port, close } = await startIngress({ bodyTimeoutMs: 700, maxConnectionsPerSource: 10 });
  try {
    const started = Date.now();
    const { status, body } = await slowUpload(port, '127.0.0.1').answer;
    const ms = Date.now() - started;
    assert.is(status, 408, 'expected 408 Request Timeout');
    assert.match(body, 'body not complete within 700 ms', 'expected the reason');
    assert.ok(ms >= 650 && ms < 2_000, `expected the answer at about 700 ms, got ${ms} ms`);
    assert.is(await webhook(port, 2), 202, 'expected the ingress to go on accepting');
  } finally {
    await close();
  }
});

test('a client that disconnects mid-body logs no error line; it is counted', async () => {
  const sink = logSink();
  const { ingress, port, close } = await startIngress({ bodyTimeoutMs: 20_000, maxConnectionsPerSource: 64 }, sink.logger);
  try {
    const uploads = Array.from({ length: 20 }, () => slowUpload(port, '127.0.0.1'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await endSlowRequests(uploads);
    const deadline = Date.now() + 5_000;
    const aborted = async () => (await ingress.metrics.aborted.get()).values[0]?.value ?? 0;
    while ((await aborted()) < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.is(await aborted(), 20, 'expected ingress_requests_aborted_total to count the 20 disconnects');
    assert.equal(sink.lines.filter((line) => line.level >= 50).map((line) => line.msg), [], 'expected no error-level log line');
    assert.is(sink.lines.filter((line) => line.msg === 'webhook' && line.status === 499).length, 20, 'expected an info access-log line (499) for each');
  } finally {
    await close();
  }
});

test.run();
