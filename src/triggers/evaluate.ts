import type { RuleMetric, RuleSet, Severity, TriggerRule } from './rule-set.ts';

/** A user's baseline of one metric, as enrich computed it before the event (see baseline.ts). */
export interface MetricBaseline {
  readonly metric: RuleMetric;
  /** Median of the daily values. */
  readonly median: number;
  /** Days with a value in the window. */
  readonly days: number;
}

/**
 * The baselines an event is judged against, at most one per metric. A list, the one the enriched
 * event carries: built per event, an object keyed by metric cost a dictionary and its walk.
 */
export type Baselines = readonly MetricBaseline[];

/** The headline values of one event; a missing or null metric never fires a rule. */
export type MetricValues = Readonly<Partial<Record<RuleMetric, number | null | undefined>>>;

/** The event's value of `metric`, or undefined when it has none a rule can judge (missing, null, NaN, infinite). */
export function metricValue(values: MetricValues, metric: RuleMetric): number | undefined {
  const value = values[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The shape of the Avro `Trigger` record (schemas/trigger.avsc). */
export interface FiredTrigger {
  type: string;
  severity: Severity;
  metric: RuleMetric;
  value: number;
  recommendation: string;
  ruleId: string;
}

/**
 * Every rule that fires for these values, in rule-file order. A rule with a baseline condition
 * fires only with a baseline of enough days for its metric.
 */
export function evaluateTriggers(ruleSet: RuleSet, values: MetricValues, baselines: Baselines = []): FiredTrigger[] {
  const fired: FiredTrigger[] = [];
  // By index: the rules are a frozen array, whose iterator made a result object per rule and event.
  const { rules } = ruleSet;
  for (let r = 0; r < rules.length; r += 1) {
    const rule = rules[r]!;
    const value = metricValue(values, rule.metric);
    if (value === undefined) continue;
    if (matches(rule, value) && matchesBaseline(rule, value, baselineOf(baselines, rule.metric))) {
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

function baselineOf(baselines: Baselines, metric: RuleMetric): MetricBaseline | undefined {
  for (let b = 0; b < baselines.length; b += 1) if (baselines[b]!.metric === metric) return baselines[b];
  return undefined;
}

function matchesBaseline(rule: TriggerRule, value: number, baseline: MetricBaseline | undefined): boolean {
  const condition = rule.baseline;
  if (!condition) return true;
  if (!baseline || baseline.days < condition.minDays || !(baseline.median > 0)) return false;
  const change = (value - baseline.median) / baseline.median;
  // Rounded so that exactly 30 % below a baseline counts as 30 %, not 29.999…
  const rounded = Math.round(change * 1e9) / 1e9;
  if (condition.changeAtMost !== undefined && rounded > condition.changeAtMost) return false;
  if (condition.changeAtLeast !== undefined && rounded < condition.changeAtLeast) return false;
  return true;
}

function matches(rule: TriggerRule, value: number): boolean {
  if (rule.atLeast !== undefined && value < rule.atLeast) return false;
  if (rule.below !== undefined && value >= rule.below) return false;
  return true;
}
