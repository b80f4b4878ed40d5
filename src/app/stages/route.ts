import { routeTopology } from '../../../topologies/route.ts';
import type { Topology } from '../../streams/index.ts';
import type { StageResources } from '../resources.ts';

/** `bridge run route`. */
export function routeStage(resources: StageResources): Topology {
  return routeTopology({ schemaStore: resources.schemaStore(), legacyMirror: resources.config.ROUTE_LEGACY_MIRROR });
}
