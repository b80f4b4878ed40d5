import type { DailyValues } from './baseline.ts';
import type { RuleMetric } from './rule-set.ts';

/**
 * One byte per metric in a stored day: part of the baseline store's changelog format, so a code
 * is never reused or changed; a new metric takes the next free one.
 */
const metricCodes = {
  hrvRmssdMs: 1,
  restingHeartRateBpm: 2,
  sleepScore: 3,
  recoveryScore: 4,
  readinessScore: 5,
  temperatureDeltaC: 6,
  stressLevel: 7,
} as const satisfies Record<RuleMetric, number>;

const metricOfCode = new Map<number, RuleMetric>(Object.entries(metricCodes).map(([metric, code]) => [code, metric as RuleMetric]));
const entryBytes = 13; // code (1), sum (float64), count (uint32)

/** A day's sums and counts: the number of metrics (1 byte), then per metric its code, sum (float64 LE) and count (uint32 LE). */
export function encodeDailyValues(day: DailyValues): Buffer {
  const metrics = (Object.keys(day) as RuleMetric[]).filter((metric) => day[metric] !== undefined);
  const out = Buffer.allocUnsafe(1 + metrics.length * entryBytes);
  out[0] = metrics.length;
  let at = 1;
  for (const metric of metrics) {
    const value = day[metric]!;
    out[at] = metricCodes[metric];
    out.writeDoubleLE(value.sum, at + 1);
    out.writeUInt32LE(value.count, at + 9);
    at += entryBytes;
  }
  return out;
}

export function decodeDailyValues(data: Buffer): DailyValues {
  const count = data[0];
  if (count === undefined) throw new Error('a stored day is empty: expected at least its metric count');
  if (data.length !== 1 + count * entryBytes) throw new Error(`a stored day of ${data.length} bytes does not hold ${count} metrics`);
  const day: DailyValues = {};
  for (let at = 1; at < data.length; at += entryBytes) {
    const metric = metricOfCode.get(data[at]!);
    if (metric === undefined) throw new Error(`a stored day names unknown metric code ${data[at]}`);
    day[metric] = { sum: data.readDoubleLE(at + 1), count: data.readUInt32LE(at + 9) };
  }
  return day;
}
