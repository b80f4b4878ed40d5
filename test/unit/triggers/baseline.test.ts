import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InPlaceSerde, Windowed } from '../../../src/streams/index.ts';
import { WindowCursor } from '../../../src/streams/state/windowed-bytes.ts';
import { windowedSerde } from '../../../src/streams/state/windowed-serde.ts';
import { windowsOf } from '../../../src/streams/state/windows.ts';
import { baselineDays, baselinesAt, baselinesOfStored, dayMs, evaluateTriggers, hasDailyValues, parseRuleSet, RuleSetError, type DailyValues, type DayWindow } from '../../../src/triggers/index.ts';
import { addStoredDailyMeans, dailyValuesLength, decodeDailyValues, encodeDailyValues, DayFold, writeDailyValues, type MetricValues, type RuleMetric } from '../../../src/triggers/index.ts';

const rules = parseRuleSet({
  $schemaVersion: 1,
  rules: [
    { id: 'hrv-drop', metric: 'hrvRmssdMs', baseline: { changeAtMost: -0.3, minDays: 5 }, type: 'HRV_BASELINE_DROP', severity: 'HIGH', recommendation: 'recovery_day' },
    { id: 'hrv-critical', metric: 'hrvRmssdMs', below: 25, type: 'URGENT_INTERVENTION', severity: 'CRITICAL', recommendation: 'immediate_stress_protocol' },
  ],
});

test('a baseline rule fires at exactly 30 % below with enough days, not above it or with too few days', () => {
  const fired = (value: number, median: number, days: number) => evaluateTriggers(rules, { hrvRmssdMs: value }, [{ metric: 'hrvRmssdMs', median, days }]).map((t) => t.type);
  assert.equal(fired(35, 50, 5), ['HRV_BASELINE_DROP'], 'exactly 30 % below fires');
  assert.equal(fired(35.1, 50, 7), [], 'less than 30 % below does not');
  assert.equal(fired(20, 50, 4), ['URGENT_INTERVENTION'], 'four days are too few; the fixed rule still fires');
  assert.equal(evaluateTriggers(rules, { hrvRmssdMs: 20 }).map((t) => t.type), ['URGENT_INTERVENTION'], 'no baseline: only the fixed rule');
  const others = [{ metric: 'restingHeartRateBpm', median: 50, days: 7 }, { metric: 'hrvRmssdMs', median: 50, days: 4 }] as const;
  assert.equal(evaluateTriggers(rules, { hrvRmssdMs: 35 }, others).map((t) => t.type), [], 'the rule reads its own metric’s baseline (four days), not the first in the list');
});

test('rule files: a baseline condition needs a bound and at most 7 days', () => {
  const rule = (baseline: unknown) => ({ $schemaVersion: 1, rules: [{ id: 'r', metric: 'hrvRmssdMs', baseline, type: 'T', severity: 'HIGH', recommendation: 'x' }] });
  assert.throws(() => parseRuleSet(rule({ minDays: 5 })), (e: unknown) => e instanceof RuleSetError && /needs a bound: "changeAtMost"/.test(e.message));
  assert.throws(() => parseRuleSet(rule({ changeAtMost: -0.3, minDays: 8 })), (e: unknown) => e instanceof RuleSetError && /must be at most 7/.test(e.message));
  assert.throws(() => parseRuleSet(rule({ changeAtMost: -0.3, minDays: 5, typo: 1 })), (e: unknown) => e instanceof RuleSetError && /typo/.test(e.message));
});

test('baselines: the median of daily means of the seven days before the event day', () => {
  const today = 20 * dayMs;
  const windows: DayWindow[] = [
    { start: today - 8 * dayMs, value: { hrvRmssdMs: { sum: 10, count: 1 } } }, // eight days back: outside
    ...[60, 70, 64, 66].map((v, i) => ({ start: today - (4 - i) * dayMs, value: { hrvRmssdMs: { sum: 2 * v, count: 2 } } })),
    { start: today, value: { hrvRmssdMs: { sum: 5, count: 1 } } }, // the event's own day: left out
  ];
  assert.equal(baselinesAt(windows, today + 3_600_000, ['hrvRmssdMs', 'restingHeartRateBpm']), [{ metric: 'hrvRmssdMs', median: 65, days: 4, windowDays: 7 }], 'even count: mean of the middle two; no RHR history, no RHR baseline');
  windows.push({ start: today - dayMs, value: { restingHeartRateBpm: { sum: 52, count: 1 } } });
  assert.equal(baselinesAt(windows, today, ['hrvRmssdMs', 'restingHeartRateBpm'], { restingHeartRateBpm: 55, hrvRmssdMs: null }), [{ metric: 'restingHeartRateBpm', median: 52, days: 1, windowDays: 7 }], 'with the event’s values: only the baselines of the metrics it has a value of');
});

test('baselines read from the stored days in place equal those of the decoded days, for any event time', async () => {
  const days: InPlaceSerde<DailyValues> = { name: 'daily-values', serialize: encodeDailyValues, deserialize: (data) => decodeDailyValues(data!), byteLength: dailyValuesLength, serializeInto: writeDailyValues };
  const windows = { sizeMs: dayMs, graceMs: 2 * dayMs, retentionMs: baselineDays * dayMs };
  const stored: Windowed<DailyValues> = {
    observedUntil: 30 * dayMs + 5,
    windows: [
      [21 * dayMs, { hrvRmssdMs: { sum: 10, count: 1 } }], // past retention: neither path sees it
      ...[60, 70, 64, 66, 58, 90, 61].map((v, i): readonly [number, DailyValues] => [(22 + i) * dayMs, { hrvRmssdMs: { sum: 2 * v, count: 2 }, ...(i % 3 === 0 ? { restingHeartRateBpm: { sum: 50 + i, count: 1 } } : {}) }]),
      [29 * dayMs, { restingHeartRateBpm: { sum: 0, count: 0 }, hrvRmssdMs: { sum: 33, count: 1 } }], // a count of 0 is no value
      [30 * dayMs, { hrvRmssdMs: { sum: 5, count: 1 } }],
    ],
  };
  const bytes = (await windowedSerde(days).serialize(stored, 'c'))!;
  const metrics = ['hrvRmssdMs', 'restingHeartRateBpm', 'sleepScore'] as const;
  for (let hour = 20 * 24; hour <= 32 * 24; hour += 7) {
    const eventTime = hour * 3_600_000;
    const expected = baselinesAt(windowsOf(windows, stored), eventTime, metrics);
    assert.equal(baselinesOfStored(new WindowCursor(windows, bytes), eventTime, metrics), expected, `at hour ${hour}: ${JSON.stringify(expected)}`);
  }
  assert.equal(baselinesOfStored(new WindowCursor(windows, bytes), 30 * dayMs, metrics), [{ metric: 'hrvRmssdMs', median: 64, days: 7, windowDays: 7 }, { metric: 'restingHeartRateBpm', median: 54.5, days: 2, windowDays: 7 }], 'days 23 to 29 (day 22 is past retention): RHR on days 25 and 28 only, a count of 0 on day 29 left out');
});

test('a stored day read in place: the mean of each metric asked for, or an error that says what is wrong', () => {
  const day = encodeDailyValues({ hrvRmssdMs: { sum: 131.25, count: 3 }, stressLevel: { sum: 0, count: 1 }, restingHeartRateBpm: { sum: 0, count: 0 } });
  const bytes = Buffer.concat([Buffer.from([7, 7]), day, Buffer.from([7])]);
  const within = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  /** What addStoredDailyMeans adds, by the metric's index. */
  const read = (view: DataView, at: number, length: number, metrics: RuleMetric[]) => {
    const added: Array<[number, number]> = [];
    addStoredDailyMeans(view, at, length, metrics, { add: (m, mean) => added.push([m, mean]) });
    return added;
  };
  assert.equal(read(within, 2, day.length, ['sleepScore', 'stressLevel', 'hrvRmssdMs', 'restingHeartRateBpm']), [[2, 131.25 / 3], [1, 0]], 'sum over count, a mean of zero is a value; a metric the day lacks and a count of zero are none');
  assert.equal(read(within, 2, day.length, ['stressLevel']), [[0, 0]], 'another list of metrics is read by its own indexes');
  assert.throws(() => read(within, 2, day.length - 1, ['hrvRmssdMs']), /a stored day of 39 bytes does not hold 3 metrics/);
  assert.throws(() => read(within, 2, 0, ['hrvRmssdMs']), /a stored day is empty/);
  const unknown = Buffer.from('01' + '63' + '0000000000405040' + '01000000', 'hex');
  assert.throws(() => read(new DataView(unknown.buffer, unknown.byteOffset, unknown.length), 0, unknown.length, ['hrvRmssdMs']), /unknown metric code 99/);
  const twice = Buffer.concat([Buffer.from([2]), encodeDailyValues({ hrvRmssdMs: { sum: 50, count: 1 } }).subarray(1), encodeDailyValues({ hrvRmssdMs: { sum: 70, count: 1 } }).subarray(1)]);
  assert.throws(() => read(new DataView(twice.buffer, twice.byteOffset, twice.length), 0, twice.length, ['hrvRmssdMs']), /names metric code 1 twice/, 'read in place');
  assert.throws(() => decodeDailyValues(twice), /names metric code 1 twice/, 'decoded');
});

/** A day as DayFold folds `values` into it, where it lies 3 bytes into a buffer (`day` undefined: a new day), read back. */
function folded(day: Buffer | undefined, values: MetricValues, metrics: RuleMetric[]): Buffer {
  const fold = new DayFold(values, metrics);
  const out = Buffer.alloc(3 + fold.fixedLength);
  day?.copy(out, 3);
  fold.foldInPlace(new DataView(out.buffer, out.byteOffset, out.length), 3, day === undefined);
  return out.subarray(3);
}

/** `day` (of any metrics, in any order) as DayFold lays out days of `metrics`. */
function relaid(day: Buffer, metrics: RuleMetric[]): Buffer {
  const fold = new DayFold({}, metrics);
  const out = Buffer.alloc(fold.fixedLength);
  fold.relayout(new DataView(day.buffer, day.byteOffset, day.length), 0, day.length, new DataView(out.buffer, out.byteOffset, out.length), 0);
  return out;
}

test('DayFold keeps an entry for each of its metrics, ordered by code, and adds an event to it in place', () => {
  const metrics: RuleMetric[] = ['restingHeartRateBpm', 'hrvRmssdMs'];
  const first = folded(undefined, { hrvRmssdMs: 42, restingHeartRateBpm: null, sleepScore: 80 }, metrics);
  assert.is(first.length, new DayFold({}, metrics).fixedLength, 'every day of the fold has its length');
  assert.is(first.toString('hex'), encodeDailyValues({ hrvRmssdMs: { sum: 42, count: 1 }, restingHeartRateBpm: { sum: 0, count: 0 } }).toString('hex'), 'a new day: both metrics, by code; a null value is a count of 0');
  assert.equal(decodeDailyValues(first), { hrvRmssdMs: { sum: 42, count: 1 } }, 'decoded, a metric with no value is absent');
  const next = folded(first, { hrvRmssdMs: 70, restingHeartRateBpm: 55, stressLevel: 9 }, metrics);
  assert.equal(decodeDailyValues(next), { hrvRmssdMs: { sum: 112, count: 2 }, restingHeartRateBpm: { sum: 55, count: 1 } }, 'HRV added, RHR counted from 0; stress is not a metric of the fold');
  assert.equal(folded(next, { hrvRmssdMs: Number.NaN }, metrics), next, 'nothing to add: the day as it was');
  assert.is(new DayFold({}, ['hrvRmssdMs', 'restingHeartRateBpm']).layout, new DayFold({}, metrics).layout, 'the layout names the metrics, not their order in the rules');
  assert.is.not(new DayFold({}, ['hrvRmssdMs']).layout, new DayFold({}, metrics).layout, 'other metrics, another layout');
  assert.is(hasDailyValues({ sleepScore: 80, hrvRmssdMs: Number.NaN }, ['hrvRmssdMs']), false, 'hasDailyValues: no finite value of the metrics');
  assert.is(hasDailyValues({ hrvRmssdMs: 0 }, ['restingHeartRateBpm', 'hrvRmssdMs']), true, 'hasDailyValues: a zero counts');
});

test('DayFold moves a day of other metrics, in any order, into its layout: its metrics kept, others left out, a damaged day refused', () => {
  const older = encodeDailyValues({ stressLevel: { sum: 3, count: 1 }, hrvRmssdMs: { sum: 120, count: 2 } });
  assert.is(relaid(older, ['restingHeartRateBpm', 'hrvRmssdMs']).toString('hex'), encodeDailyValues({ hrvRmssdMs: { sum: 120, count: 2 }, restingHeartRateBpm: { sum: 0, count: 0 } }).toString('hex'));
  const unknown = Buffer.from('01' + '63' + '0000000000405040' + '01000000', 'hex');
  assert.throws(() => relaid(unknown, ['hrvRmssdMs']), /unknown metric code 99/);
  assert.throws(() => relaid(older.subarray(0, older.length - 1), ['hrvRmssdMs']), /does not hold 2 metrics/);
});

test.run();
