import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { Registry } from 'prom-client';
import { breakerStateGauge, onBreakerState, type BreakerState } from '../../../src/obs/breaker-state.ts';

async function gaugeValue(registry: Registry, breaker: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric('bridge_breaker_state')?.get();
  return metric?.values.find((v) => v.labels['breaker'] === breaker)?.value;
}

test('a breaker that opens and resets is reported 0 → 1 → 2 → 0 on bridge_breaker_state', async () => {
  const registry = new Registry();
  const report = breakerStateGauge(registry);
  const policy = circuitBreaker(handleAll, { halfOpenAfter: 10, breaker: new ConsecutiveBreaker(2) });
  const seen: BreakerState[] = [];
  report('postgres', 'closed');
  onBreakerState(policy, (state) => {
    seen.push(state);
    report('postgres', state);
  });
  assert.is(await gaugeValue(registry, 'postgres'), 0, 'expected 0 while closed');
  for (let i = 0; i < 2; i += 1) await policy.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  assert.is(await gaugeValue(registry, 'postgres'), 1, 'expected 1 after two consecutive failures');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await policy.execute(async () => 'ok');
  assert.equal(seen, ['open', 'half-open', 'closed'], 'expected open, then a half-open trial, then closed');
  assert.is(await gaugeValue(registry, 'postgres'), 0, 'expected 0 again after the successful trial');
});

test('two stages in one process share the gauge', () => {
  const registry = new Registry();
  breakerStateGauge(registry)('postgres', 'open');
  breakerStateGauge(registry)('terra-storage', 'closed');
  assert.is(registry.getMetricsAsArray().filter((m) => m.name === 'bridge_breaker_state').length, 1, 'expected one gauge');
});

test.run();
