import type { RuleMetric } from './rule-set.ts';

/** The headline values of one event; a missing or null metric never fires a rule. */
export type MetricValues = Readonly<Partial<Record<RuleMetric, number | null | undefined>>>;

/** An event's value of one metric, or undefined when it has none a rule can judge (missing, null, NaN, infinite). */
export type MetricReader = (values: MetricValues) => number | undefined;

const judgeable = (value: number | null | undefined): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * A function per metric, each reading its own field. `values[metric]` names the field at run
 * time, and one such read serves every rule, baseline and fold, each asking for another field of
 * the same event: a lookup V8 cannot specialise to a field.
 */
const readers: { readonly [M in RuleMetric]: MetricReader } = {
  hrvRmssdMs: (v) => judgeable(v.hrvRmssdMs),
  restingHeartRateBpm: (v) => judgeable(v.restingHeartRateBpm),
  sleepScore: (v) => judgeable(v.sleepScore),
  recoveryScore: (v) => judgeable(v.recoveryScore),
  readinessScore: (v) => judgeable(v.readinessScore),
  temperatureDeltaC: (v) => judgeable(v.temperatureDeltaC),
  stressLevel: (v) => judgeable(v.stressLevel),
};

export function metricReader(metric: RuleMetric): MetricReader {
  return readers[metric];
}

let readOf: readonly RuleMetric[] | undefined;
let lastReaders: readonly MetricReader[] = [];

/** The readers of `metrics`, in their order; a stage asks with the same list at every event, so the last is kept. */
export function metricReaders(metrics: readonly RuleMetric[]): readonly MetricReader[] {
  if (readOf !== metrics) {
    lastReaders = metrics.map(metricReader);
    readOf = metrics;
  }
  return lastReaders;
}
