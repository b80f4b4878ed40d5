import type { Baselines, MetricBaseline, MetricValues } from './evaluate.ts';
import type { RuleMetric } from './rule-set.ts';

export const dayMs = 86_400_000;

/** Days before the event's day a baseline looks at. */
export const baselineDays = 7;

/** One day of a user's values: sum and count per metric, so late values of the day still average in. */
export type DailyValues = Partial<Record<RuleMetric, { sum: number; count: number }>>;

/** A day window of the baseline store (start: 00:00 UTC, epoch ms). */
export interface DayWindow {
  readonly start: number;
  readonly value: DailyValues;
}

/** Adds the event's values of `metrics` to its day; undefined when it has none of them. */
export function addToDay(day: DailyValues | undefined, values: MetricValues, metrics: readonly RuleMetric[]): DailyValues | undefined {
  let next: DailyValues | undefined;
  for (const metric of metrics) {
    const value = values[metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    next ??= { ...day };
    const current = next[metric];
    next[metric] = { sum: (current?.sum ?? 0) + value, count: (current?.count ?? 0) + 1 };
  }
  return next;
}

/**
 * Each metric's baseline for an event at `eventTime`: the median of the daily means of the seven
 * days before the event's day (the event's own day is left out, so a bad night is judged against
 * the nights before it, not diluted by itself). A median rather than a moving average: one
 * outlier night (a late party, a broken strap) does not move it.
 */
export function baselinesAt(windows: readonly DayWindow[], eventTime: number, metrics: readonly RuleMetric[]): Baselines {
  const today = Math.floor(eventTime / dayMs) * dayMs;
  const from = today - baselineDays * dayMs;
  const baselines: Partial<Record<RuleMetric, MetricBaseline>> = {};
  // Runs once per event: plain loops over at most seven days, no intermediate arrays.
  const daily: number[] = [];
  for (const metric of metrics) {
    daily.length = 0;
    for (const w of windows) {
      if (w.start < from || w.start >= today) continue;
      const v = w.value[metric];
      if (v && v.count > 0) daily.push(v.sum / v.count);
    }
    if (daily.length > 0) baselines[metric] = { median: medianInPlace(daily), days: daily.length };
  }
  return baselines;
}

/** The median of `values`, which it sorts in place (insertion sort: at most seven values). */
function medianInPlace(values: number[]): number {
  for (let i = 1; i < values.length; i += 1) {
    const v = values[i]!;
    let j = i - 1;
    for (; j >= 0 && values[j]! > v; j -= 1) values[j + 1] = values[j]!;
    values[j + 1] = v;
  }
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}
