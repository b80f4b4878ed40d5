import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { containerImages } from '../../../src/cli/stack/images.ts';
import { stageNames } from '../../../src/config/schema.ts';

// docker-compose cannot run here, so these checks keep it in step with the native stack by reading.
const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const compose = read('docker-compose.yml');

test('docker-compose uses the native stack image versions', () => {
  for (const image of Object.values(containerImages)) {
    assert.match(compose, `image: ${image}\n`, `expected docker-compose.yml to use ${image}`);
  }
});

test('every stage runs as its own service and Prometheus scrapes it', () => {
  const prometheus = read('deploy/prometheus/prometheus.yml');
  for (const stage of ['ingress', ...stageNames]) {
    assert.match(compose, `command: ["run", "${stage}"]`, `expected a ${stage} service running \`bridge run ${stage}\``);
    assert.match(prometheus, `labels: { stage: ${stage} }`, `expected Prometheus to scrape ${stage}`);
  }
  assert.match(compose, 'command: ["topics", "create"]', 'expected a one-shot topics-create service');
});

test('host ports are bound to loopback only', () => {
  const ports = [...compose.matchAll(/ports: \[([^\]]*)\]/g)].map((m) => m[1] ?? '');
  assert.ok(ports.length > 0, 'expected some published ports');
  for (const p of ports) assert.match(p, /^"127\.0\.0\.1:/, `expected ${p} bound to 127.0.0.1`);
});

test('the dashboard is valid JSON and queries the metric names monitors rely on', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/biometric-bridge.json')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
  for (const metric of ['webhook_events_total', 'webhook_process_duration_seconds', 'active_webhook_tasks', 'cognitive_mode_triggers_total', 'bridge_stream_consumer_lag', 'bridge_stream_dead_letters_total', 'bridge_breaker_state', 'bridge_state_restore_remaining_records', 'bridge_state_storage_reads_total', 'bridge_state_expired_keys_total']) {
    assert.match(exprs, metric, `expected a panel querying ${metric}`);
  }
});

test('every metric the dashboard queries is one the code defines', () => {
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/biometric-bridge.json')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const queried = new Set(
    dashboard.panels
      .flatMap((p) => p.targets.map((t) => t.expr))
      .flatMap((expr) => expr.match(/\b[a-z_]+_(?:total|seconds|lag|state|tasks)\b/g) ?? [])
      .map((name) => name.replace(/_(bucket|sum|count)$/, '')),
  );
  // Metric names are string literals in the code (`name: '…'` or a const they are built from).
  const sources = execFileSync('grep', ['-rhoE', "'[a-z_]+'", 'src', 'topologies'], { cwd: fileURLToPath(root), encoding: 'utf8' });
  const defined = new Set([...sources.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]));
  const missing = [...queried].filter((name) => !defined.has(name));
  assert.equal(missing, [], `expected every queried metric defined in the code; missing: ${missing.join(', ')}`);
});

test.run();
