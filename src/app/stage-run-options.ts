import type { Env } from '../config/index.ts';
import { lmdbBackend, type RunOptions, type StateBackend } from '../streams/index.ts';

/**
 * How a deployed stage consumes and commits, from its configuration (`bridge run`): one
 * definition, so a benchmark runs a stage as deployed. The runtime's own defaults are a library's
 * (`runTopology` without them, as tests use it).
 */
export function stageRunOptions(config: Readonly<Env>, boundMetricsPort?: number) {
  return {
    partitionsConsumedConcurrently: config.STAGE_PARTITION_CONCURRENCY,
    transactionalProducers: config.STAGE_TRANSACTIONAL_PRODUCERS,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
    commitIntervalMs: config.STAGE_COMMIT_INTERVAL_MS,
    lingerMs: config.STAGE_LINGER_MS,
    fetchMinBytes: config.STAGE_FETCH_MIN_BYTES,
    fetchMaxWaitMs: config.STAGE_FETCH_MAX_WAIT_MS,
    fetchIntervalMs: config.STAGE_FETCH_INTERVAL_MS,
    fetchIdleWaitMs: config.STAGE_FETCH_IDLE_WAIT_MS,
    stateCacheKeys: config.STATE_CACHE_KEYS,
    ...queryEndpointOf(config, boundMetricsPort),
  } satisfies Partial<RunOptions>;
}

/**
 * Where other instances' state queries are told this one answers: STATE_QUERY_ENDPOINT, else the
 * metrics port (the one the server bound, METRICS_PORT=0 picking it) at the host the broker sees;
 * none while that port is not known yet.
 */
function queryEndpointOf(config: Readonly<Env>, boundMetricsPort: number | undefined): Pick<RunOptions, 'queryEndpoint'> {
  if (config.STATE_QUERY_ENDPOINT !== undefined) return { queryEndpoint: { endpoint: config.STATE_QUERY_ENDPOINT } };
  const port = boundMetricsPort ?? config.METRICS_PORT;
  return port === 0 ? {} : { queryEndpoint: { port } };
}

/** A deployed stage's local state in LMDB under `dir`, flushed as the configuration says. */
export function stageStateBackend(config: Readonly<Env>, dir: string): StateBackend {
  return lmdbBackend(dir, { intervalMs: config.STATE_FLUSH_INTERVAL_MS });
}
