import { createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureOutputSchema } from '../../src/app/stages/normalize.ts';
import type { StageResources } from '../../src/app/index.ts';
import { runStages } from '../../src/cli/commands/run.ts';
import { loadConfig } from '../../src/config/index.ts';
import { registerSchemas } from '../../src/schemas/index.ts';
import { StreamsBuilder, serdes } from '../../src/streams/index.ts';
import { topics, valueSubject } from '../../src/topics.ts';
import { config, createTopics, kafkaClient, registryClient, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { logLines } from '../support/log-lines.ts';
import { freePort } from './pipeline-support.ts';

type Mode = 'unreachable' | 'failing' | 'read-only';

/**
 * An HTTP proxy in front of the real registry that plays its outages: `unreachable` drops every
 * connection, `failing` answers 500 as the registry does while its own database is down, and
 * `read-only` forwards reads (look-ups included) but answers 500 to every write.
 */
async function registryProxy(target: URL) {
  let mode: Mode = 'unreachable';
  const seen: Array<{ mode: Mode; method: string; path: string }> = [];
  const isWrite = (method: string, path: string) => method === 'PUT' || method === 'DELETE' || (method === 'POST' && /\/versions$/.test(path));
  const forward = (req: IncomingMessage, res: ServerResponse, path: string) => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: `${target.pathname.replace(/\/$/, '')}${path}`, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/registry/, '');
    const method = req.method ?? 'GET';
    seen.push({ mode, method, path });
    if (mode === 'unreachable') return void req.socket.destroy();
    if (mode === 'failing' || isWrite(method, path)) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error_code: 50001, message: 'storage unavailable' }));
    }
    forward(req, res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}/registry`,
    seen,
    isWrite,
    setMode(next: Mode) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

test('a stage waits while the registry is away or failing, never exits, and starts on a read-only registry', async () => {
  // The shared subject holds this schema already, as on any running system (idempotent).
  await registerSchemas(registryClient(), {}, [{ subject: valueSubject(topics.events), schema: 'BiometricEvent' }]);
  const proxy = await registryProxy(new URL(config.SCHEMA_REGISTRY_URL));
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('startup');
  await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 1);
  const port = await freePort();
  const { lines, destination: logSink } = logLines();
  const stageConfig = loadConfig({ ...process.env, METRICS_PORT: String(port), LOG_LEVEL: 'warn', SCHEMA_REGISTRY_URL: proxy.url });
  // normalize's real start-up on an isolated graph, so the test never joins bridge.normalize.
  const stage = async (resources: StageResources) => {
    await ensureOutputSchema(resources);
    const builder = new StreamsBuilder(name);
    builder.stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.string() }).to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
    return builder.build();
  };
  let settled = false;
  const done = runStages(stageConfig, 'normalize', { topologies: { normalize: stage }, logDestination: logSink }).finally(() => {
    settled = true;
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (const mode of ['unreachable', 'failing'] as const) {
      proxy.setMode(mode);
      const before = proxy.seen.filter((r) => r.mode === mode && r.path.startsWith('/subjects/')).length;
      await waitUntil(`two look-ups while the registry is ${mode}`, () => proxy.seen.filter((r) => r.mode === mode && r.path.startsWith('/subjects/')).length >= before + 2, { timeoutMs: 60_000 });
      const ready = await fetch(`${base}/ready`);
      assert.is(ready.status, 503, `expected /ready 503 while the registry is ${mode}`);
      assert.equal(await ready.json(), { ready: false }, `expected ready: false while the registry is ${mode}`);
      const health = await fetch(`${base}/health`);
      const body = (await health.json()) as { status: string; connections: Record<string, boolean> };
      assert.is(health.status, 503, `expected /health 503 while the registry is ${mode}`);
      assert.is(body.status, 'degraded', `expected a degraded health body while the registry is ${mode}`);
      assert.is(body.connections['registry'], false, `expected the registry reported down while it is ${mode}`);
      assert.is(body.connections['kafka'], true, 'expected Kafka reported up');
      assert.not.ok(settled, `expected the process still running while the registry is ${mode}`);
    }
    assert.ok(lines.some((line) => line.includes('waiting for registry to look biometric.events-value up')), 'expected the wait logged');

    proxy.setMode('read-only');
    await waitUntil('/ready 200 on a read-only registry', async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 60_000 });
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string; connections: Record<string, boolean> };
    assert.equal([health.status, health.connections], ['healthy', { kafka: true, registry: true }], 'expected healthy once the registry answers');
    assert.equal(proxy.seen.filter((r) => proxy.isWrite(r.method, r.path)), [], 'expected no write to the registry: the schema was only looked up');
    assert.not.ok(
      lines.some((line) => /"level":(50|60)/.test(line)),
      `expected no ERROR line from a registry outage, got ${lines.filter((line) => /"level":(50|60)/.test(line)).join('')}`,
    );
  } finally {
    process.emit('SIGTERM', 'SIGTERM');
    await done;
    await proxy.close();
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`] });
    await admin.disconnect();
  }
});

test('SIGTERM while start-up still waits for the registry stops the process gracefully', async () => {
  const proxy = await registryProxy(new URL(config.SCHEMA_REGISTRY_URL));
  const port = await freePort();
  const stageConfig = loadConfig({ ...process.env, METRICS_PORT: String(port), LOG_LEVEL: 'silent', SCHEMA_REGISTRY_URL: proxy.url });
  const stage = async (resources: StageResources) => {
    await ensureOutputSchema(resources);
    throw new Error('the registry is away for the whole test; start-up must not get here');
  };
  const done = runStages(stageConfig, 'normalize', { topologies: { normalize: stage } });
  try {
    await waitUntil('a first look-up', () => proxy.seen.length > 0, { timeoutMs: 30_000 });
  } finally {
    process.emit('SIGTERM', 'SIGTERM');
    await proxy.close();
  }
  const outcome = await done.then(() => 'resolved', (error: unknown) => `rejected: ${String(error)}`);
  assert.is(outcome, 'resolved', 'expected a graceful stop, not a start-up error');
});

test.run();
