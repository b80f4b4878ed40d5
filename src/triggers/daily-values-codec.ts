import type { InPlaceFold } from '../streams/index.ts';
import { metricReader, type MetricReader, type MetricValues } from './metric-readers.ts';
import type { RuleMetric } from './rule-set.ts';

/** One day of a user's values: sum and count per metric, so late values of the day still average in. */
export type DailyValues = Partial<Record<RuleMetric, { sum: number; count: number }>>;

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
/** 1 at each code in use: a stored day's codes are checked at every read in place, and an array index is cheaper than a Map lookup. */
const knownCodes = new Uint8Array(256);
for (const code of metricOfCode.keys()) knownCodes[code] = 1;
// A read marks the codes a day names in the bits of one 32-bit number.
if (Math.max(...metricOfCode.keys()) > 31) throw new Error('metric codes must stay below 32');
const entryBytes = 13; // code (1), sum (float64), count (uint32)

/** A day's sums and counts: the number of metrics (1 byte), then per metric its code, sum (float64 LE) and count (uint32 LE). */
export function encodeDailyValues(day: DailyValues): Buffer {
  const out = Buffer.allocUnsafe(dailyValuesLength(day));
  writeDailyValues(day, out, 0);
  return out;
}

/** The bytes `writeDailyValues` takes for `day`. */
export function dailyValuesLength(day: DailyValues): number {
  let metrics = 0;
  // for…in rather than Object.keys: the baseline store writes every retained day at each event, and this allocates nothing.
  for (const metric in day) if (day[metric as RuleMetric] !== undefined) metrics += 1;
  return 1 + metrics * entryBytes;
}

/** Writes `day` as `encodeDailyValues` lays it out, at `at` of `out`, which has room for it; returns the offset after it. */
export function writeDailyValues(day: DailyValues, out: Buffer, at: number): number {
  const countAt = at;
  let metrics = 0;
  at += 1;
  for (const metric in day) {
    const value = day[metric as RuleMetric];
    if (value === undefined) continue;
    out[at] = metricCodes[metric as RuleMetric];
    out.writeDoubleLE(value.sum, at + 1);
    out.writeUInt32LE(value.count, at + 9);
    at += entryBytes;
    metrics += 1;
  }
  out[countAt] = metrics;
  return at;
}

/** Where `addStoredDailyMeans` puts a stored day's means: by the metric's index in the list asked for. */
export interface DailyMeanSink {
  add(metric: number, mean: number): void;
}

/**
 * Adds the mean of each of `metrics` on a day where it lies encoded (the `length` bytes of `data`
 * from `at`) to `sink`, by the metric's index; a metric the day lacks, or has a count of 0 of, is
 * not added. Read in place, in one pass over the day's entries, through a DataView (Buffer's read
 * methods box a double per call): this runs for every retained day of every event. The same
 * checks as `decodeDailyValues`, and a day that names a metric twice (no writer of the layout
 * does) is refused.
 */
export function addStoredDailyMeans(data: DataView, at: number, length: number, metrics: readonly RuleMetric[], sink: DailyMeanSink): void {
  checkedDayCount(data, at, length);
  const indexOf = indexByCode(metrics);
  let seen = 0;
  for (let entry = at + 1; entry < at + length; entry += entryBytes) {
    const code = checkedCode(data, entry, seen);
    seen |= 1 << code;
    const m = indexOf[code]!;
    if (m < 0) continue;
    const n = data.getUint32(entry + 9, true);
    if (n > 0) sink.add(m, data.getFloat64(entry + 1, true) / n);
  }
}

/** How a ring's day lies for one list of metrics (DayFold): each of them, ordered by code. */
interface DayLayout {
  readonly metrics: readonly RuleMetric[];
  readonly codes: Uint8Array;
  /** Each metric's reader, in the same order. */
  readonly reads: readonly MetricReader[];
  /** A bit per code: the ring's layout. */
  readonly mask: number;
  readonly length: number;
}

let laidOut: { readonly of: readonly RuleMetric[]; readonly layout: DayLayout } | undefined;

/** The layout of days of `metrics`; a stage asks with the same list at every event, so the last is kept. */
function dayLayout(metrics: readonly RuleMetric[]): DayLayout {
  if (laidOut?.of === metrics) return laidOut.layout;
  const ordered = [...new Set(metrics)].sort((a, b) => metricCodes[a] - metricCodes[b]);
  const codes = Uint8Array.from(ordered, (metric) => metricCodes[metric]);
  const layout = { metrics: ordered, codes, reads: ordered.map(metricReader), mask: codes.reduce((mask, code) => (mask | (1 << code)) >>> 0, 0), length: 1 + ordered.length * entryBytes };
  laidOut = { of: metrics, layout };
  return layout;
}

/**
 * The baseline store's fold of an event into its day where the day lies in the store's ring (an
 * InPlaceFold): a day holds an entry for every one of `metrics`, ordered by code, with a count of
 * 0 until the day has a value of it, so every day has one length and an event adds to its sums
 * and counts in place. The entries are `encodeDailyValues`'s, so a day reads as any other. One
 * per event.
 */
export class DayFold implements InPlaceFold {
  readonly fixedLength: number;
  readonly layout: number;
  readonly #values: MetricValues;
  readonly #day: DayLayout;

  constructor(values: MetricValues, metrics: readonly RuleMetric[]) {
    this.#values = values;
    this.#day = dayLayout(metrics);
    this.fixedLength = this.#day.length;
    this.layout = this.#day.mask;
  }

  foldInPlace(view: DataView, at: number, fresh: boolean): void {
    const { metrics, codes, reads } = this.#day;
    if (fresh) view.setUint8(at, metrics.length);
    for (let m = 0, entry = at + 1; m < metrics.length; m += 1, entry += entryBytes) {
      const value = reads[m]!(this.#values);
      if (fresh) {
        view.setUint8(entry, codes[m]!);
        view.setFloat64(entry + 1, value ?? 0, true);
        view.setUint32(entry + 9, value === undefined ? 0 : 1, true);
      } else if (value !== undefined) {
        view.setFloat64(entry + 1, view.getFloat64(entry + 1, true) + value, true);
        view.setUint32(entry + 9, view.getUint32(entry + 9, true) + 1, true);
      }
    }
  }

  /** A day of other metrics (written before the ring, or for other rules), checked as a read is: this fold's metrics kept, others left out. */
  relayout(from: DataView, fromAt: number, length: number, view: DataView, at: number): void {
    const { metrics, codes } = this.#day;
    view.setUint8(at, metrics.length);
    for (let m = 0, entry = at + 1; m < metrics.length; m += 1, entry += entryBytes) {
      view.setUint8(entry, codes[m]!);
      view.setFloat64(entry + 1, 0, true);
      view.setUint32(entry + 9, 0, true);
    }
    checkedDayCount(from, fromAt, length);
    let seen = 0;
    for (let source = fromAt + 1; source < fromAt + length; source += entryBytes) {
      const code = checkedCode(from, source, seen);
      seen |= 1 << code;
      const m = codes.indexOf(code);
      if (m < 0) continue;
      const entry = at + 1 + m * entryBytes;
      view.setFloat64(entry + 1, from.getFloat64(source + 1, true), true);
      view.setUint32(entry + 9, from.getUint32(source + 9, true), true);
    }
  }
}

/** A stored day's metric count, checked against its length. */
function checkedDayCount(data: DataView, at: number, length: number): number {
  if (length === 0 || at >= data.byteLength) throw new Error('a stored day is empty: expected at least its metric count');
  const count = data.getUint8(at);
  if (length !== 1 + count * entryBytes) throw new Error(`a stored day of ${length} bytes does not hold ${count} metrics`);
  return count;
}

/** The metric code of the entry at `entry`, known and not among the `seen` ones. */
function checkedCode(data: DataView, entry: number, seen: number): number {
  const code = data.getUint8(entry);
  if (knownCodes[code] !== 1) throw new Error(`a stored day names unknown metric code ${code}`);
  if ((seen & (1 << code)) !== 0) throw new Error(`a stored day names metric code ${code} twice`);
  return code;
}

let indexedMetrics: readonly RuleMetric[] | undefined;
const metricIndex = new Int8Array(256);

/** Code → index in `metrics` (-1: not asked for); a stage asks with the same list at every event, so the last is kept. */
function indexByCode(metrics: readonly RuleMetric[]): Int8Array {
  if (metrics === indexedMetrics) return metricIndex;
  metricIndex.fill(-1);
  metrics.forEach((metric, m) => (metricIndex[metricCodes[metric]] = m));
  indexedMetrics = metrics;
  return metricIndex;
}

/** A stored day as an object, with the checks of a day read in place. */
export function decodeDailyValues(data: Buffer): DailyValues {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  checkedDayCount(view, 0, data.length);
  const day: DailyValues = {};
  let seen = 0;
  for (let at = 1; at < data.length; at += entryBytes) {
    const code = checkedCode(view, at, seen);
    seen |= 1 << code;
    const count = view.getUint32(at + 9, true);
    // A ring's day holds every metric, 0 until it has a value: as a day object, one it has no value of is absent.
    if (count > 0) day[metricOfCode.get(code)!] = { sum: view.getFloat64(at + 1, true), count };
  }
  return day;
}
