import type pg from 'pg';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Env, StageName } from '../src/config/index.ts';
import type { Logger } from '../src/obs/logger.ts';
import type { AvroSchemaStore, Topology } from '../src/streams/index.ts';
import { verifyStage } from './verify.ts';
import { enrichStage } from './enrich.ts';
import { normalizeStage } from './normalize.ts';
import { routeStage } from './route.ts';
import { sinkStageFor } from './sink.ts';

/**
 * What a stage may use, handed over by `bridge run`. Clients are created on first call and shared
 * by every stage of the process; the health endpoint reports exactly the ones that were used.
 */
export interface StageResources {
  readonly config: Readonly<Env>;
  readonly log: Logger;
  /** The process's one Prometheus registry. */
  readonly metrics: Registry;
  schemaStore(): AvroSchemaStore;
  redis(): Redis;
  pgPool(): pg.Pool;
}

export type TopologyFactory = (resources: StageResources) => Topology | Promise<Topology>;

/**
 * The one registry of stages: stage name → topology factory. `bridge run <stage>` and
 * `bridge describe` read it. Add a stage with one line.
 */
export const topologies: Partial<Record<StageName, TopologyFactory>> = {
  verify: verifyStage,
  normalize: normalizeStage,
  enrich: enrichStage,
  route: routeStage,
  sink: sinkStageFor,
};
