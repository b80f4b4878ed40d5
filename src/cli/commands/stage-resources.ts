import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Registry } from 'prom-client';
import type { Env } from '../../config/index.ts';
import type { ConnectionProbe } from '../../obs/http-server.ts';
import type { Logger } from '../../obs/logger.ts';
import type { AvroSchemaStore } from '../../streams/index.ts';
import { pipelineSchemaStore } from '../../schemas/index.ts';
import type { StageResources } from '../../../topologies/index.ts';

export interface ManagedResources extends StageResources {
  /** Probes for the clients created so far (the health body lists only those). */
  probes(): Record<string, ConnectionProbe>;
  close(): Promise<void>;
}

/** Shared clients for the stages of one process, each created on first use. */
export function createStageResources(config: Readonly<Env>, log: Logger, metrics: Registry): ManagedResources {
  let store: AvroSchemaStore | undefined;
  let redis: Redis | undefined;
  let pool: pg.Pool | undefined;
  return {
    config,
    log,
    metrics,
    schemaStore() {
      // Registers under BACKWARD_TRANSITIVE subjects; the bare client would insist on BACKWARD.
      store ??= pipelineSchemaStore(new SchemaRegistry({ host: config.SCHEMA_REGISTRY_URL }), { registryUrl: config.SCHEMA_REGISTRY_URL });
      return store;
    },
    redis() {
      redis ??= new Redis(config.REDIS_URL, { lazyConnect: true });
      return redis;
    },
    pgPool() {
      pool ??= new pg.Pool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX });
      return pool;
    },
    probes() {
      const probes: Record<string, ConnectionProbe> = {};
      if (store) probes['registry'] = async () => (await fetch(`${config.SCHEMA_REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok;
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
      // A lazy client that never connected has nothing to flush; quit() would connect first.
      if (redis?.status === 'ready') await redis.quit();
      else redis?.disconnect();
      await pool?.end();
    },
  };
}
