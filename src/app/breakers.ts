import { breakerStateGauge } from '../obs/breaker-state.ts';
import { createPostgresBreaker, type PostgresBreaker } from '../sink/postgres-breaker.ts';
import type { StageResources } from './resources.ts';

/**
 * A Postgres breaker of its own for one use (e.g. `postgres` for the sink's writes), reported on
 * `bridge_breaker_state{breaker}` and logged on every change. One outage trips each breaker on its own calls, so a stage never pauses
 * on another stage's failures.
 */
export function reportedPostgresBreaker(resources: StageResources, name: string): PostgresBreaker {
  const breaker = createPostgresBreaker({ halfOpenAfterMs: resources.config.PG_BREAKER_HALF_OPEN_MS });
  const report = breakerStateGauge(resources.metrics);
  report(name, 'closed');
  breaker.onStateChange((state) => {
    resources.log.warn({ dependency: name, state }, `${name} circuit breaker changed state`);
    report(name, state);
  });
  return breaker;
}
