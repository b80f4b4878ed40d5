import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Env } from '../config/index.ts';
import type { ConnectionProbe } from '../obs/http-server.ts';
import type { Logger } from '../obs/logger.ts';
import { createConnectionReplica, type ConnectionReplica } from '../connections/replica.ts';
import { createRegistryClient, fileSchemaCache, registrySchemaStore, type RegistryClient } from '../schemas/index.ts';
import { isPostgresUnavailable } from '../sink/postgres-breaker.ts';
import { createPostgresPool } from '../sink/postgres-pool.ts';
import type { AvroSchemaStore } from '../streams/index.ts';
import { createRedisClient } from './redis-client.ts';
import { waitFor } from './wait-for.ts';

/**
 * What a stage factory may use, handed over by `bridge run`. Clients are created on first call
 * and shared by every stage of the process; the health endpoint reports exactly the ones used.
 */
export interface StageResources {
  readonly config: Readonly<Env>;
  readonly log: Logger;
  /** The process's one Prometheus registry. */
  readonly metrics: Registry;
  /** Aborted when the process stops, so a start-up still waiting for a dependency gives up. */
  readonly signal: AbortSignal;
  /**
   * Runs a stage's start-up work (migrations, schema look-ups) before its first record;
   * `bridge describe` builds the graphs without it, so describing needs no dependency.
   */
  startUp(work: () => Promise<void>): Promise<void>;
  registry(): RegistryClient;
  schemaStore(): AvroSchemaStore;
  redis(): Redis;
  pgPool(): pg.Pool;
  /**
   * The process's replica of vendor_connections (verify's connected users, normalize's user ids),
   * read in full on the first call (waiting while Postgres does not answer), then followed.
   * Stages take it through stageConnections (connection-answers.ts), which applies the
   * connections migrations first.
   */
  connectionReplica(): Promise<ConnectionReplica>;
}

export interface ManagedResources extends StageResources {
  /** Probes for the clients created so far (the health body lists only those). */
  probes(): Record<string, ConnectionProbe>;
  close(): Promise<void>;
}

export interface StageResourcesOptions {
  /** False to build topologies only (describe): start-up work is skipped. */
  readonly startUp?: boolean;
}

/** Shared clients for the stages of one process, each created on first use. */
export function createStageResources(config: Readonly<Env>, log: Logger, metrics: Registry, options: StageResourcesOptions = {}): ManagedResources {
  const stopping = new AbortController();
  let registry: RegistryClient | undefined;
  let store: AvroSchemaStore | undefined;
  let redis: Redis | undefined;
  let pool: pg.Pool | undefined;
  let replica: ConnectionReplica | undefined;
  let replicaStarted: Promise<ConnectionReplica> | undefined;
  const resources: ManagedResources = {
    config,
    log,
    metrics,
    signal: stopping.signal,
    async startUp(work) {
      if (options.startUp !== false) await work();
    },
    registry() {
      registry ??= createRegistryClient(config.SCHEMA_REGISTRY_URL);
      return registry;
    },
    schemaStore() {
      store ??= registrySchemaStore(resources.registry(), config.SCHEMA_CACHE_DIR === '' ? {} : { cache: fileSchemaCache(config.SCHEMA_CACHE_DIR, config.SCHEMA_REGISTRY_URL) });
      return store;
    },
    redis() {
      // A failed command pauses the stage's partition (the replay guard) while Redis is away.
      redis ??= createRedisClient(config.REDIS_URL, log);
      return redis;
    },
    pgPool() {
      pool ??= createPostgresPool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX, logger: log, metrics, applicationName: String(log.bindings()['name'] ?? 'biometric-bridge') });
      return pool;
    },
    connectionReplica() {
      replicaStarted ??= (async () => {
        const created = createConnectionReplica({ pool: resources.pgPool(), log, metrics, refreshMs: config.CONNECTIONS_REFRESH_MS });
        replica = created;
        await waitFor(() => created.start(), { log, dependency: 'postgres', what: 'to read the vendor connections', isUnavailable: isPostgresUnavailable, signal: stopping.signal });
        return created;
      })();
      return replicaStarted;
    },
    probes() {
      const probes: Record<string, ConnectionProbe> = {};
      if (registry) {
        const client = registry;
        probes['registry'] = () => client.ping();
      }
      if (redis) {
        const client = redis;
        probes['redis'] = async () => (await client.ping()) === 'PONG';
      }
      if (pool) {
        const client = pool;
        probes['postgres'] = async () => (await client.query('select 1 as ok')).rows.length === 1;
      }
      return probes;
    },
    async close() {
      stopping.abort();
      replica?.close();
      // A lazy client that never connected has nothing to flush; quit() would connect first.
      if (redis?.status === 'ready') await redis.quit();
      else redis?.disconnect();
      await pool?.end();
    },
  };
  return resources;
}
