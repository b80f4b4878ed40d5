import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { bindStreamMetrics } from '../../../src/app/index.ts';
import { createMetricsRegistry } from '../../../src/obs/metrics.ts';
import { startObsServer } from '../../../src/obs/http-server.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { StreamEvents } from '../../../src/streams/index.ts';

test('stream metrics: lifecycle events become counters, histogram and gauges labelled by topology and node', async () => {
  const registry = createMetricsRegistry();
  const events = new StreamEvents();
  bindStreamMetrics(registry, events);
  const ref = { topology: 'verify', topic: 'raw.oura', partition: 0 };
  events.emit('processed', { ...ref, recordsIn: { 'raw-webhooks': 3 }, recordsOut: { verified: 2 }, latenciesMs: [1, 2, 3], lag: 7 });
  events.emit('dead-lettered', { ...ref, offset: '2', node: 'check-signature', reason: 'bad_signature', attempts: 1 });
  events.emit('committed', { ...ref, offset: '3', transactional: true });
  events.emit('transaction-aborted', { ...ref, error: 'KafkaJSError' });
  events.emit('retried', { topology: 'verify', node: 'lookup', attempt: 2, error: 'Error' });
  events.emit('paused', { ...ref, dependency: 'redis', retryAfterMs: 100 });
  events.emit('late-dropped', { topology: 'enrich', store: 'baselines', partition: 1, count: 2 });
  events.emit('state-storage-reads', { topology: 'enrich', store: 'baselines', partition: 1, count: 5 });
  events.emit('state-storage-reads', { topology: 'enrich', store: 'baselines', partition: 2, count: 1 });
  const text = await registry.metrics();
  const expect = [
    'bridge_stream_records_in_total{topology="verify",node="raw-webhooks"} 3',
    'bridge_stream_records_out_total{topology="verify",node="verified"} 2',
    'bridge_stream_dead_letters_total{topology="verify",node="check-signature",reason="bad_signature"} 1',
    'bridge_stream_processing_seconds_count{topology="verify"} 3',
    'bridge_stream_consumer_lag{topology="verify",topic="raw.oura",partition="0"} 7',
    'bridge_stream_transactions_total{topology="verify",outcome="committed"} 1',
    'bridge_stream_transactions_total{topology="verify",outcome="aborted"} 1',
    'bridge_stream_retries_total{topology="verify",node="lookup"} 1',
    'bridge_stream_paused_partitions{topology="verify"} 1',
    'bridge_state_late_records_dropped_total{topology="enrich",store="baselines"} 2',
    'bridge_state_storage_reads_total{topology="enrich",store="baselines"} 6',
  ];
  for (const line of expect) assert.ok(text.includes(line), `metrics contain: ${line}`);
  events.emit('resumed', ref);
  assert.ok((await registry.metrics()).includes('bridge_stream_paused_partitions{topology="verify"} 0'), 'resume lowers the paused gauge');
});

test('obs server: /health keeps the monitored shape, /ready and /metrics answer, unknown paths 404', async () => {
  const registry = createMetricsRegistry();
  let ready = false;
  let redisUp = true;
  const lines: string[] = [];
  const log = createLogger({ level: 'info' }, new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }));
  const server = await startObsServer({
    port: 0,
    registry,
    version: '1.2.3',
    log,
    ready: () => ready,
    connections: () => ({ kafka: async () => true, redis: async () => redisUp, postgres: () => new Promise<boolean>(() => {}) }),
    probeTimeoutMs: 100,
  });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const degraded = await fetch(`${base}/health`);
    assert.is(degraded.status, 503, 'a hanging probe makes the process degraded');
    assert.equal(await degraded.json(), { status: 'degraded', service: 'biometric-bridge', version: '1.2.3', connections: { kafka: true, redis: true, postgres: false } }, 'docs/design.md §9 shape');
    assert.is((await fetch(`${base}/ready`)).status, 503, 'not ready before the stages joined');
    ready = true;
    assert.equal(await (await fetch(`${base}/ready`)).json(), { ready: true }, 'ready after');
    const metrics = await fetch(`${base}/metrics`);
    assert.ok((await metrics.text()).includes('process_cpu_user_seconds_total'), 'Prometheus text with default metrics');
    assert.is((await fetch(`${base}/nope`)).status, 404, 'unknown path');
    redisUp = false;
    assert.is(((await (await fetch(`${base}/health`)).json()) as { connections: Record<string, boolean> }).connections['redis'], false, 'a failing probe is reported');
  } finally {
    await server.close();
  }
  assert.ok(lines.every((line) => !line.includes('"level":50')), 'no error lines logged');
});

test.run();
