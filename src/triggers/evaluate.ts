import { metricReader, type MetricReader, type MetricValues } from './metric-readers.ts';
import type { BaselineCondition, RuleMetric, RuleSet, Severity, TriggerRule } from './rule-set.ts';

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
 * A rule as `evaluateTriggers` runs it: every rule in one object shape, absent bounds as the
 * infinities that never stop a value, and its metric read by a function of its own. The rules as
 * parsed have a shape per combination of bounds, so the loop's reads of a rule's fields met
 * several shapes at one place.
 */
interface RunnableRule {
  readonly rule: TriggerRule;
  readonly read: MetricReader;
  readonly atLeast: number;
  readonly below: number;
  readonly baseline: RunnableBaseline | undefined;
}

interface RunnableBaseline {
  readonly minDays: number;
  readonly changeAtMost: number;
  readonly changeAtLeast: number;
}

let runnableOf: RuleSet | undefined;
let runnable: readonly RunnableRule[] = [];

/** The rule set's rules as they run; a stage evaluates the same set at every event, so the last is kept. */
function runnableRules(ruleSet: RuleSet): readonly RunnableRule[] {
  if (runnableOf !== ruleSet) {
    runnable = ruleSet.rules.map((rule) => ({
      rule,
      read: metricReader(rule.metric),
      atLeast: rule.atLeast ?? Number.NEGATIVE_INFINITY,
      below: rule.below ?? Number.POSITIVE_INFINITY,
      baseline: rule.baseline ? runnableBaseline(rule.baseline) : undefined,
    }));
    runnableOf = ruleSet;
  }
  return runnable;
}

function runnableBaseline(condition: BaselineCondition): RunnableBaseline {
  return { minDays: condition.minDays, changeAtMost: condition.changeAtMost ?? Number.POSITIVE_INFINITY, changeAtLeast: condition.changeAtLeast ?? Number.NEGATIVE_INFINITY };
}

/**
 * Every rule that fires for these values, in rule-file order. A rule with a baseline condition
 * fires only with a baseline of enough days for its metric.
 */
export function evaluateTriggers(ruleSet: RuleSet, values: MetricValues, baselines: Baselines = []): FiredTrigger[] {
  const fired: FiredTrigger[] = [];
  // By index: the rules are an array whose iterator made a result object per rule and event.
  const rules = runnableRules(ruleSet);
  for (let r = 0; r < rules.length; r += 1) {
    const runs = rules[r]!;
    const value = runs.read(values);
    // A finite value is never below -Infinity nor at or above Infinity: an absent bound passes it.
    if (value === undefined || value < runs.atLeast || value >= runs.below) continue;
    if (runs.baseline !== undefined && !matchesBaseline(runs.baseline, value, baselineOf(baselines, runs.rule.metric))) continue;
    const { rule } = runs;
    fired.push({
      type: rule.type,
      severity: rule.severity,
      metric: rule.metric,
      value,
      recommendation: rule.recommendation,
      ruleId: rule.id,
    });
  }
  return fired;
}

function baselineOf(baselines: Baselines, metric: RuleMetric): MetricBaseline | undefined {
  for (let b = 0; b < baselines.length; b += 1) if (baselines[b]!.metric === metric) return baselines[b];
  return undefined;
}

function matchesBaseline(condition: RunnableBaseline, value: number, baseline: MetricBaseline | undefined): boolean {
  if (!baseline || baseline.days < condition.minDays || !(baseline.median > 0)) return false;
  const change = (value - baseline.median) / baseline.median;
  // Rounded so that exactly 30 % below a baseline counts as 30 %, not 29.999…
  const rounded = Math.round(change * 1e9) / 1e9;
  return rounded <= condition.changeAtMost && rounded >= condition.changeAtLeast;
}
