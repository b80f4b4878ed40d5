import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { kafkaClient, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { freePort, startBridge } from './pipeline-support.ts';
import { ensurePriorityTopics, openSse, routedWriter, userToken } from './push-support.ts';

const kafka = kafkaClient();
let admin: Admin;

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  await ensurePriorityTopics(admin);
});

test.after(async () => {
  await admin.disconnect();
});

test('bridge run push without token keys stops at start and names the variables', async () => {
  const child = startBridge(['run', 'push'], { PUSH_PORT: String(await freePort()), PUSH_JWT_SECRETS: '', PUSH_JWKS_URL: '' }, await freePort());
  const code = await child.exited;
  assert.is(code, 78, 'expected the configuration exit code');
  assert.match(child.output(), /PUSH_JWT_SECRETS or PUSH_JWKS_URL/, 'expected the variables named');
});

test('bridge run push serves /health, /ready and its metrics, pushes a user’s event, and stops on SIGTERM', async () => {
  const secret = randomBytes(24).toString('hex');
  const pushPort = await freePort();
  const metricsPort = await freePort();
  const child = startBridge(['run', 'push'], { LOG_LEVEL: 'info', PUSH_PORT: String(pushPort), PUSH_JWT_SECRETS: secret }, metricsPort);
  const writer = routedWriter(kafka);
  try {
    await child.waitReady(120_000);
    const health = (await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json()) as { status: string; connections: Record<string, boolean> };
    assert.equal(health.connections, { kafka: true, registry: true }, 'expected Kafka and the registry probed and up');
    const user = unique('cli-user');
    const sse = await openSse(pushPort, await userToken(secret, user));
    await waitUntil('ready', () => sse.frames.some((f) => f.event === 'ready'));
    await writer.connect();
    const ids = await writer.write(user, 'high');
    await waitUntil('the event over SSE', () => sse.eventIds().length === 1, { timeoutMs: 30_000 });
    assert.equal(sse.eventIds(), ids, 'expected the user’s event');
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /bridge_push_connected_clients\{transport="sse"\} 1/, 'expected one SSE client counted');
    assert.match(metrics, /bridge_push_messages_total\{transport="sse"\} 1/, 'expected one event pushed');
    sse.close();
    assert.not.ok(child.output().includes(user), 'expected no user id in the info-level log');
    assert.not.ok(child.output().includes(secret), 'expected no secret in the log');
  } finally {
    await writer.disconnect();
    const code = await child.stop();
    assert.is(code, 0, 'expected a clean exit on SIGTERM');
  }
});

test.run();
