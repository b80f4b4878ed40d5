import type { StageName } from '../../config/index.ts';
import type { Topology } from '../../streams/index.ts';
import type { StageResources } from '../resources.ts';
import { enrichStage } from './enrich.ts';
import { hydrateStage } from './hydrate.ts';
import { normalizeStage } from './normalize.ts';
import { routeStage } from './route.ts';
import { sinkStageFor } from './sink.ts';
import { verifyStage } from './verify.ts';

/** A stage's graphs: most stages are one; hydrate runs its backfill as a second group in the same process. */
export type TopologyFactory = (resources: StageResources) => Topology | readonly Topology[] | Promise<Topology | readonly Topology[]>;

/** The graphs a factory built, always as a list. */
export async function stageTopologies(factory: TopologyFactory, resources: StageResources): Promise<readonly Topology[]> {
  const built = await factory(resources);
  return Array.isArray(built) ? built : [built as Topology];
}

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
