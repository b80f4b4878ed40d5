export { evaluateTriggers, type FiredTrigger, type MetricValues } from './evaluate.ts';
export { priorityOf, priorities, type Priority } from './priority.ts';
export {
  loadRuleSet,
  parseRuleSet,
  RuleSetError,
  ruleMetrics,
  severities,
  type RuleMetric,
  type RuleSet,
  type Severity,
  type TriggerRule,
} from './rule-set.ts';
export { createTriggerMetrics, type TriggerMetrics } from './metrics.ts';
