import type { RuleMetric, RuleSet, Severity, TriggerRule } from './rule-set.ts';

/** The headline values of one event; a missing or null metric never fires a rule. */
export type MetricValues = Readonly<Partial<Record<RuleMetric, number | null | undefined>>>;

/** The shape of the Avro `Trigger` record (schemas/trigger.avsc). */
export interface FiredTrigger {
  type: string;
  severity: Severity;
  metric: RuleMetric;
  value: number;
  recommendation: string;
  ruleId: string;
}

/** Every rule that fires for these values, in rule-file order. */
export function evaluateTriggers(ruleSet: RuleSet, values: MetricValues): FiredTrigger[] {
  const fired: FiredTrigger[] = [];
  for (const rule of ruleSet.rules) {
    const value = values[rule.metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    if (matches(rule, value)) {
      fired.push({
        type: rule.type,
        severity: rule.severity,
        metric: rule.metric,
        value,
        recommendation: rule.recommendation,
        ruleId: rule.id,
      });
    }
  }
  return fired;
}

function matches(rule: TriggerRule, value: number): boolean {
  if (rule.atLeast !== undefined && value < rule.atLeast) return false;
  if (rule.below !== undefined && value >= rule.below) return false;
  return true;
}
