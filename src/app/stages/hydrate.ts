import { Counter } from 'prom-client';
import { hydrateBackfillTopology, hydrateTopology } from '../../../topologies/hydrate.ts';
import { createConnections } from '../../connections/index.ts';
import type { Connection, TokenSource } from '../../connections/token-source.ts';
import { createHydration } from '../../hydrate/hydration.ts';
import { hydrateSettings } from '../../hydrate/settings.ts';
import { breakerStateGauge } from '../../obs/breaker-state.ts';
import type { Topology } from '../../streams/index.ts';
import { hydratedVendorIds } from '../../topics.ts';
import { applyMigrations } from '../migrations.ts';
import type { StageResources } from '../resources.ts';

/**
 * `bridge run hydrate`: the connections' tables first, then the two graphs on the users' tokens:
 * live notifications, and backfill requests in a consumer group of their own (lower priority,
 * docs/design.md §3). With
 * no TOKEN_ENCRYPTION_KEYS no connection can be read, so every id-only notification becomes a
 * `connection_revoked` dead letter (redrivable once connections are configured), said once at start.
 */
export async function hydrateStage(resources: StageResources): Promise<readonly Topology[]> {
  await resources.startUp(() => applyMigrations(resources, 'connections'));
  const configured = resources.config.TOKEN_ENCRYPTION_KEYS.length > 0;
  if (!configured) resources.log.warn('TOKEN_ENCRYPTION_KEYS is not set: no vendor connection can be used, id-only notifications are dead-lettered as connection_revoked');
  const tokens = configured ? createConnections(resources.config, resources.pgPool(), resources.log, resources.metrics).tokenSource : noConnections;
  return hydrateTopologiesFor(resources, tokens);
}

/** Nobody is connected: what hydrate reads when tokens cannot be decrypted at all. */
const noConnections: TokenSource = {
  connectionFor: async () => undefined,
  accessToken: (connection: Connection) => Promise.reject(new Error(`no token for the ${connection.vendor} connection`)),
  refreshAfterUnauthorized: (connection: Connection) => Promise.reject(new Error(`no token for the ${connection.vendor} connection`)),
};

/**
 * The stage on a given token source: config, Redis-shared rate limits, breaker metrics. Both
 * graphs share one Hydration, so a vendor's breaker and rate counters see all of its traffic.
 */
export function hydrateTopologiesFor(resources: StageResources, tokens: TokenSource): readonly [live: Topology, backfill: Topology] {
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
    tokens,
    ...(settings.rateLimits ? { redis: resources.redis() } : {}),
    onBreakerStateChange: (dependency, state) => {
      resources.log.warn({ dependency, state }, 'vendor API circuit breaker changed state');
      reportBreaker(dependency, state);
    },
    onResponse: (vendor, status) => responses.inc({ vendor, status: String(status) }),
  });
  const options = {
    hydration,
    metrics: resources.metrics,
    recordConcurrency: resources.config.HYDRATE_RECORD_CONCURRENCY,
    backfillConcurrency: resources.config.HYDRATE_BACKFILL_CONCURRENCY,
    maxValueBytes: resources.config.INGRESS_MAX_BODY_BYTES,
  };
  return [hydrateTopology(options), hydrateBackfillTopology(options)];
}
