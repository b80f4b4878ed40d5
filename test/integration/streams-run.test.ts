import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/index.ts';
import { runStages } from '../../src/cli/commands/run.ts';
import { StreamsBuilder, serdes } from '../../src/streams/index.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';
import { freePort } from './pipeline-support.ts';
import { produce, readUntil, waitUntil } from './streams-support.ts';

/** A stage that copies `<name>.in` to `<name>.out`. */
function passThrough(name: string) {
  const builder = new StreamsBuilder(name);
  builder
    .stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.string() })
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  return builder.build();
}

test('run: a registered stage consumes, serves /ready, /health and /metrics, and stops on SIGTERM', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('run');
  await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 1);
  const port = await freePort();
  const config = loadConfig({ ...process.env, METRICS_PORT: String(port), LOG_LEVEL: 'silent' });
  const stage = () => passThrough(name);
  const base = `http://127.0.0.1:${port}`;
  const done = runStages(config, name, { topologies: { [name]: stage } });
  try {
    await waitUntil(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 30_000, () => '/ready never answered 200');
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string; service: string; connections: Record<string, boolean> };
    assert.equal([health.status, health.service, health.connections], ['healthy', 'biometric-bridge', { kafka: true }], 'healthy, with only the dependencies this process uses');
    await produce(kafka, `${name}.in`, Array.from({ length: 10 }, (_, n) => ({ key: `k${n}`, value: `v${n}` })));
    await readUntil(kafka, `${name}.out`, (seen) => seen.length >= 10);
    await waitUntil(
      async () => (await (await fetch(`${base}/metrics`)).text()).includes(`bridge_stream_records_out_total{topology="${name}",node="out"} 10`),
      10_000,
      () => 'records_out metric never reached 10',
    );
  } finally {
    // What a SIGTERM from the process manager does, without signalling the test runner itself.
    process.emit('SIGTERM', 'SIGTERM');
    await done;
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`] });
    await admin.disconnect();
  }
  assert.is(await fetch(`${base}/health`).then(() => 'answered', () => 'closed'), 'closed', 'the server is closed after the stop');
});

test('run: a stage started before its source topic exists waits, not ready and saying why, then starts once it is created', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique('run-early');
  const port = await freePort();
  const config = loadConfig({ ...process.env, METRICS_PORT: String(port), LOG_LEVEL: 'warn' });
  const lines: string[] = [];
  const logDestination = { write: (line: string) => void lines.push(line) };
  const stage = () => passThrough(name);
  const base = `http://127.0.0.1:${port}`;
  const done = runStages(config, name, { topologies: { [name]: stage }, logDestination });
  let exited: unknown;
  void done.then(
    () => (exited = 'resolved'),
    (error: unknown) => (exited = error),
  );
  try {
    await waitUntil(async () => lines.some((line) => line.includes(`waiting for kafka to start ${name}`)), 60_000, () => `no waiting line; logged: ${lines.join('')}`);
    assert.is(exited, undefined, 'expected the stage still running, not exited');
    assert.is((await fetch(`${base}/ready`)).status, 503, 'expected not ready while it waits');
    await createTopics(admin, [`${name}.in`, `${name}.out`, `dlq.${name}`], 1);
    await waitUntil(async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200, 60_000, () => `/ready never answered 200; logged: ${lines.join('')}`);
    await produce(kafka, `${name}.in`, [{ key: 'k', value: 'v' }]);
    await readUntil(kafka, `${name}.out`, (seen) => seen.length >= 1);
  } finally {
    process.emit('SIGTERM', 'SIGTERM');
    await done.catch(() => undefined);
    await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`] }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
