import type { Env } from '../config/index.ts';
import { lmdbBackend, type RunOptions, type StateBackend } from '../streams/index.ts';

/**
 * How a deployed stage consumes and commits, from its configuration (`bridge run`): one
 * definition, so a benchmark runs a stage as deployed. The runtime's own defaults are a library's
 * (`runTopology` without them, as tests use it).
 */
export function stageRunOptions(config: Readonly<Env>) {
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
    // Named to other instances' state queries: the configured URL, else the metrics port at the host the broker sees.
    queryEndpoint: config.STATE_QUERY_ENDPOINT === undefined ? { port: config.METRICS_PORT } : { endpoint: config.STATE_QUERY_ENDPOINT },
  } satisfies Partial<RunOptions>;
}

/** A deployed stage's local state in LMDB under `dir`, flushed as the configuration says. */
export function stageStateBackend(config: Readonly<Env>, dir: string): StateBackend {
  return lmdbBackend(dir, { intervalMs: config.STATE_FLUSH_INTERVAL_MS });
}
