import { Counter } from 'prom-client';
import type { TokenSource } from '../connections/token-source.ts';
import { breakerStateGauge } from '../obs/breaker-state.ts';
import type { Topology } from '../streams/index.ts';
import { hydratedVendorIds } from '../topics.ts';
import { hydrateTopology } from '../../topologies/hydrate.ts';
import type { StageResources } from '../../topologies/index.ts';
import { createHydration } from './hydration.ts';
import { hydrateSettings } from './settings.ts';

/** What `bridge run hydrate` hands the stage: the usual resources and the connections' tokens. */
export interface HydrateResources extends StageResources {
  tokenSource(): TokenSource;
}

/** The stage as `bridge run hydrate` starts it: config, Redis-shared rate limits, breaker metrics. */
export function hydrateStage(resources: HydrateResources): Topology {
  const settings = hydrateSettings(resources.config);
  const reportBreaker = breakerStateGauge(resources.metrics);
  for (const vendor of hydratedVendorIds) reportBreaker(`${vendor}-api`, 'closed');
  const responses =
    (resources.metrics.getSingleMetric('hydrate_vendor_responses_total') as Counter<'vendor' | 'status'> | undefined) ??
    new Counter({
      name: 'hydrate_vendor_responses_total',
      help: 'Vendor API attempts by vendor and HTTP status (error: timeout or broken connection)',
      labelNames: ['vendor', 'status'] as const,
      registers: [resources.metrics],
    });
  const hydration = createHydration({
    settings,
    tokens: resources.tokenSource(),
    ...(settings.rateLimits ? { redis: resources.redis() } : {}),
    onBreakerStateChange: (dependency, state) => {
      resources.log.warn({ dependency, state }, 'vendor API circuit breaker changed state');
      reportBreaker(dependency, state);
    },
    onResponse: (vendor, status) => responses.inc({ vendor, status: String(status) }),
  });
  return hydrateTopology({ hydration, metrics: resources.metrics });
}
