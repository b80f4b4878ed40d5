import { defaultRulesFile, enrichTopology } from '../../../topologies/enrich.ts';
import type { Topology } from '../../streams/index.ts';
import { loadRuleSet } from '../../triggers/index.ts';
import type { StageResources } from '../resources.ts';

/** `bridge run enrich`: rules from TRIGGER_RULES_FILE (or the shipped file), validated before any record. */
export async function enrichStage(resources: StageResources): Promise<Topology> {
  const rules = await loadRuleSet(resources.config.TRIGGER_RULES_FILE ?? defaultRulesFile);
  resources.log.info({ rules: rules.rules.length }, 'trigger rules loaded');
  return enrichTopology({ rules, schemaStore: resources.schemaStore(), metrics: resources.metrics });
}
