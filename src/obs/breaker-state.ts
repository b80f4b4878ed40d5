import type { CircuitBreakerPolicy } from 'cockatiel';
import { Gauge, type Registry } from 'prom-client';

export type BreakerState = 'closed' | 'open' | 'half-open';

const gaugeValue: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Calls `listener` on every transition of a cockatiel circuit breaker. */
export function onBreakerState(policy: CircuitBreakerPolicy, listener: (state: BreakerState) => void): void {
  policy.onBreak(() => listener('open'));
  policy.onHalfOpen(() => listener('half-open'));
  policy.onReset(() => listener('closed'));
}

/**
 * `bridge_breaker_state{breaker}`: 0 closed, 1 open, 2 half-open. Returns the reporter a stage
 * hands to its breakers; one gauge per process registry, however many stages report into it.
 */
export function breakerStateGauge(registry: Registry): (breaker: string, state: BreakerState) => void {
  const existing = registry.getSingleMetric('bridge_breaker_state');
  const gauge =
    existing instanceof Gauge
      ? existing
      : new Gauge({ name: 'bridge_breaker_state', help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open', labelNames: ['breaker'], registers: [registry] });
  return (breaker, state) => gauge.labels(breaker).set(gaugeValue[state]);
}
