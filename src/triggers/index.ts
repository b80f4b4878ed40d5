export { evaluateTriggers, type Baselines, type FiredTrigger, type MetricBaseline } from './evaluate.ts';
export type { MetricValues } from './metric-readers.ts';
export { baselineDays, baselineFrom, baselineUntil, baselinesAt, baselinesOfStored, dayMs, hasDailyValues, type DailyBaseline, type DailyBaselines, type DayWindow, type StoredDays } from './baseline.ts';
export { addStoredDailyMeans, dailyValuesLength, decodeDailyValues, encodeDailyValues, DayFold, writeDailyValues, type DailyMeanSink, type DailyValues } from './daily-values-codec.ts';
export { priorityOf, priorities, type Priority } from './priority.ts';
export {
  baselineMetrics,
  loadRuleSet,
  parseRuleSet,
  RuleSetError,
  ruleMetrics,
  severities,
  type RuleMetric,
  type RuleSet,
  type Severity,
  type BaselineCondition,
  type TriggerRule,
} from './rule-set.ts';
export { createTriggerMetrics, type TriggerMetrics } from './metrics.ts';
