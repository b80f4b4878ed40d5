import type { Schema } from 'avsc';
import { normalizeTopology } from '../../../topologies/normalize.ts';
import { createTerraPayloadFetcher, terraStorageDependency } from '../../vendors/terra/payload-fetch.ts';
import { breakerStateGauge } from '../../obs/breaker-state.ts';
import { bridgeSchemas } from '../../schemas/index.ts';
import { DependencyUnavailableError, type Topology } from '../../streams/index.ts';
import { topics, valueSubject } from '../../topics.ts';
import type { StageResources } from '../resources.ts';
import { stageConnections } from '../connection-answers.ts';
import { waitFor } from '../wait-for.ts';

/**
 * normalize's start-up: looks its output schema up before the first record (registering it only
 * when missing), so an incompatible schema stops the stage at start rather than on its first
 * event, while a registry that is away, failing or read-only only delays the start.
 */
export async function ensureOutputSchema(resources: StageResources): Promise<number> {
  const schemaStore = resources.schemaStore();
  const subject = valueSubject(topics.events);
  const id = await waitFor(() => schemaStore.register(subject, bridgeSchemas().BiometricEvent.json as Schema), {
    log: resources.log,
    dependency: 'registry',
    what: `to look ${subject} up`,
    isUnavailable: (error) => error instanceof DependencyUnavailableError,
    signal: resources.signal,
  });
  resources.log.info({ subject, schemaId: id }, 'BiometricEvent schema ready');
  return id;
}

/**
 * `bridge run normalize`: the output schema first (ensureOutputSchema) and the process's replica
 * of vendor_connections (events carry our user id where a connection maps the vendor's; loaded
 * in the background while Postgres does not answer), then the graph.
 */
export async function normalizeStage(resources: StageResources): Promise<Topology> {
  const schemaStore = resources.schemaStore();
  await resources.startUp(async () => void (await ensureOutputSchema(resources)));
  const userIds = await stageConnections(resources);
  const reportBreaker = breakerStateGauge(resources.metrics);
  reportBreaker(terraStorageDependency, 'closed');
  const terraFetcher = createTerraPayloadFetcher({
    onBreakerStateChange: (state) => {
      resources.log.warn({ dependency: terraStorageDependency, state }, 'terra storage circuit breaker changed state');
      reportBreaker(terraStorageDependency, state);
    },
  });
  return normalizeTopology({ schemaStore, metrics: resources.metrics, terraFetcher, userIds });
}
