import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addToDay, baselinesAt, dayMs, evaluateTriggers, parseRuleSet, RuleSetError, type DayWindow } from '../../../src/triggers/index.ts';

const rules = parseRuleSet({
  $schemaVersion: 1,
  rules: [
    { id: 'hrv-drop', metric: 'hrvRmssdMs', baseline: { changeAtMost: -0.3, minDays: 5 }, type: 'HRV_BASELINE_DROP', severity: 'HIGH', recommendation: 'recovery_day' },
    { id: 'hrv-critical', metric: 'hrvRmssdMs', below: 25, type: 'URGENT_INTERVENTION', severity: 'CRITICAL', recommendation: 'immediate_stress_protocol' },
  ],
});

test('a baseline rule fires at exactly 30 % below with enough days, not above it or with too few days', () => {
  const fired = (value: number, median: number, days: number) => evaluateTriggers(rules, { hrvRmssdMs: value }, { hrvRmssdMs: { median, days } }).map((t) => t.type);
  assert.equal(fired(35, 50, 5), ['HRV_BASELINE_DROP'], 'exactly 30 % below fires');
  assert.equal(fired(35.1, 50, 7), [], 'less than 30 % below does not');
  assert.equal(fired(20, 50, 4), ['URGENT_INTERVENTION'], 'four days are too few; the fixed rule still fires');
  assert.equal(evaluateTriggers(rules, { hrvRmssdMs: 20 }).map((t) => t.type), ['URGENT_INTERVENTION'], 'no baseline: only the fixed rule');
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
  assert.equal(baselinesAt(windows, today + 3_600_000, ['hrvRmssdMs', 'restingHeartRateBpm']), { hrvRmssdMs: { median: 65, days: 4 } }, 'even count: mean of the middle two; no RHR history, no RHR baseline');
});

test('addToDay sums the rule metrics of an event and ignores the rest', () => {
  const day = addToDay({ hrvRmssdMs: { sum: 50, count: 1 } }, { hrvRmssdMs: 70, restingHeartRateBpm: null, sleepScore: 80 }, ['hrvRmssdMs', 'restingHeartRateBpm']);
  assert.equal(day, { hrvRmssdMs: { sum: 120, count: 2 } }, 'HRV added, null RHR and the non-baseline sleep score left out');
  assert.is(addToDay(undefined, { sleepScore: 80 }, ['hrvRmssdMs']), undefined, 'nothing to add');
});

test.run();
