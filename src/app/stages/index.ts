import type { StageName } from '../../config/index.ts';
import type { Topology } from '../../streams/index.ts';
import type { StageResources } from '../resources.ts';
import { enrichStage } from './enrich.ts';
import { hydrateStage } from './hydrate.ts';
import { normalizeStage } from './normalize.ts';
import { routeStage } from './route.ts';
import { sinkStageFor } from './sink.ts';
import { verifyStage } from './verify.ts';

export type TopologyFactory = (resources: StageResources) => Topology | Promise<Topology>;

/**
 * The one registry of stages: stage name → production factory (the pure graph lives in
 * topologies/<stage>.ts). `bridge run <stage>` and `bridge describe` read it. Add a stage with
 * one file in this folder and one line here.
 */
export const topologies: Partial<Record<StageName, TopologyFactory>> = {
  verify: verifyStage,
  hydrate: hydrateStage,
  normalize: normalizeStage,
  enrich: enrichStage,
  route: routeStage,
  sink: sinkStageFor,
};
