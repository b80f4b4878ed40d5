import type { MetricBaseline } from './evaluate.ts';
import { metricReaders, type MetricValues } from './metric-readers.ts';
import { addStoredDailyMeans, type DailyMeanSink, type DailyValues } from './daily-values-codec.ts';
import type { RuleMetric } from './rule-set.ts';

export const dayMs = 86_400_000;

/** Days before the event's day a baseline looks at. */
export const baselineDays = 7;

/**
 * A metric's baseline as enrich computed it, which the enriched event carries as it is (its
 * `Baseline` record): made once per metric and event, for the rules and the output alike.
 */
export interface DailyBaseline extends MetricBaseline {
  /** Days the window covers (`baselineDays`). */
  readonly windowDays: number;
}

/** Baselines in the order of the metrics asked for, of those with a day of history in the window: the enriched event's `baselines`. */
export type DailyBaselines = DailyBaseline[];

/** A day window of the baseline store (start: 00:00 UTC, epoch ms). */
export interface DayWindow {
  readonly start: number;
  readonly value: DailyValues;
}

/** Whether the event has a value of any of `metrics` (what `DayFold` would add to its day). */
export function hasDailyValues(values: MetricValues, metrics: readonly RuleMetric[]): boolean {
  const reads = metricReaders(metrics);
  for (let m = 0; m < reads.length; m += 1) if (reads[m]!(values) !== undefined) return true;
  return false;
}

/**
 * Each metric's baseline for an event at `eventTime`: the median of the daily means of the seven
 * days before the event's day (the event's own day is left out, so a bad night is judged against
 * the nights before it, not diluted by itself). A median rather than a moving average: one
 * outlier night (a late party, a broken strap) does not move it (`npm run bench:baseline`
 * measures the decisions of both). With the event's `values`, only the baselines of the metrics
 * it has a value of: the ones a rule can judge it against, and the ones it carries.
 */
export function baselinesAt(windows: readonly DayWindow[], eventTime: number, metrics: readonly RuleMetric[], values?: MetricValues): DailyBaselines {
  const today = baselineUntil(eventTime);
  const from = baselineFrom(eventTime);
  const daily = scratch.reset(metrics.length);
  for (const w of windows) {
    if (w.start < from || w.start >= today) continue;
    for (let m = 0; m < metrics.length; m += 1) {
      const v = w.value[metrics[m]!];
      if (v && v.count > 0) daily.add(m, v.sum / v.count);
    }
  }
  return daily.medians(metrics, values);
}

/** Days as the baseline store holds them, encoded (`encodeDailyValues`), read in place: the window store's scan. */
export interface StoredDays {
  next(): boolean;
  readonly start: number;
  /** The current day is the `length` bytes of `view` from `at`. */
  readonly view: DataView;
  readonly at: number;
  readonly length: number;
}

/**
 * `baselinesAt` read straight from the stored days: it runs for every event, and decoding the
 * retained days into objects first was most of what the baseline store cost per event.
 */
export function baselinesOfStored(days: StoredDays, eventTime: number, metrics: readonly RuleMetric[], values?: MetricValues): DailyBaselines {
  const today = baselineUntil(eventTime);
  const from = baselineFrom(eventTime);
  const daily = scratch.reset(metrics.length);
  while (days.next()) {
    if (days.start < from || days.start >= today) continue;
    addStoredDailyMeans(days.view, days.at, days.length, metrics, daily);
  }
  return daily.medians(metrics, values);
}

/** 00:00 UTC of the event's day. */
function dayOf(eventTime: number): number {
  return Math.floor(eventTime / dayMs) * dayMs;
}

/** The first day (its 00:00 UTC) of the baseline of an event at `eventTime`. */
export function baselineFrom(eventTime: number): number {
  return dayOf(eventTime) - baselineDays * dayMs;
}

/** Where the baseline of an event at `eventTime` ends: its own day, left out. */
export function baselineUntil(eventTime: number): number {
  return dayOf(eventTime);
}

/**
 * Daily means per metric, reused: baselines run once per event, synchronously. The lists keep
 * their capacity (emptied with `length = 0`, an array let go of its storage, and every event
 * allocated it again).
 */
class DailyMeans implements DailyMeanSink {
  readonly #values: number[][] = [];
  readonly #counts: number[] = [];

  reset(metrics: number): this {
    while (this.#values.length < metrics) this.#values.push([]);
    for (let m = 0; m < metrics; m += 1) this.#counts[m] = 0;
    return this;
  }

  add(metric: number, mean: number): void {
    const count = this.#counts[metric]!;
    this.#values[metric]![count] = mean;
    this.#counts[metric] = count + 1;
  }

  medians(metrics: readonly RuleMetric[], values: MetricValues | undefined): DailyBaseline[] {
    const baselines: DailyBaseline[] = [];
    const reads = metricReaders(metrics);
    for (let m = 0; m < metrics.length; m += 1) {
      const days = this.#counts[m]!;
      const metric = metrics[m]!;
      if (days === 0 || (values !== undefined && reads[m]!(values) === undefined)) continue;
      baselines.push({ metric, median: medianInPlace(this.#values[m]!, days), days, windowDays: baselineDays });
    }
    return baselines;
  }
}

const scratch = new DailyMeans();

/** The median of the first `count` of `values`, which it sorts in place (insertion sort: at most seven values). */
function medianInPlace(values: number[], count: number): number {
  for (let i = 1; i < count; i += 1) {
    const v = values[i]!;
    let j = i - 1;
    for (; j >= 0 && values[j]! > v; j -= 1) values[j + 1] = values[j]!;
    values[j + 1] = v;
  }
  const middle = Math.floor(count / 2);
  return count % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}
