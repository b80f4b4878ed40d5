import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { evaluateTriggers, loadRuleSet, parseRuleSet, type RuleSet } from '../../../src/triggers/index.ts';

const rulesFile = fileURLToPath(new URL('../../../topologies/rules/cognitive-triggers.json', import.meta.url));
let rules: RuleSet;

test.before(async () => {
  rules = await loadRuleSet(rulesFile);
});

const typesFor = (values: Parameters<typeof evaluateTriggers>[1]) => evaluateTriggers(rules, values).map((t) => t.type);

test('HRV 24.9 fires URGENT_INTERVENTION (CRITICAL) only', () => {
  const fired = evaluateTriggers(rules, { hrvRmssdMs: 24.9 });
  assert.equal(fired.map((t) => [t.type, t.severity]), [['URGENT_INTERVENTION', 'CRITICAL']], 'expected one critical trigger below 25');
  assert.is(fired[0]?.recommendation, 'immediate_stress_protocol', 'expected the stress protocol recommendation');
  assert.is(fired[0]?.ruleId, 'hrv-critical', 'expected the id of the rule that fired');
  assert.is(fired[0]?.value, 24.9, 'expected the observed value to be carried');
});

test('HRV 25 fires STRESS_INTERVENTION (HIGH), not URGENT', () => {
  const fired = evaluateTriggers(rules, { hrvRmssdMs: 25 });
  assert.equal(fired.map((t) => [t.type, t.severity]), [['STRESS_INTERVENTION', 'HIGH']], 'expected 25 to be in [25, 40)');
  assert.is(fired[0]?.recommendation, 'breathing_exercise', 'expected breathing exercise');
});

test('HRV 39.9 still fires STRESS_INTERVENTION', () => {
  assert.equal(typesFor({ hrvRmssdMs: 39.9 }), ['STRESS_INTERVENTION'], 'expected 39.9 to be under the exclusive 40 bound');
});

test('HRV 40 fires nothing', () => {
  assert.equal(typesFor({ hrvRmssdMs: 40 }), [], 'expected 40 to be outside [25, 40)');
});

test('sleep 69 fires RECOVERY_INTERVENTION (MEDIUM); 70 fires nothing', () => {
  const fired = evaluateTriggers(rules, { sleepScore: 69 });
  assert.equal(fired.map((t) => [t.type, t.severity, t.recommendation]), [['RECOVERY_INTERVENTION', 'MEDIUM', 'sleep_optimization']], 'expected a sleep trigger at 69');
  assert.equal(typesFor({ sleepScore: 70 }), [], 'expected no sleep trigger at 70');
});

test('temperature 0.99 fires nothing; 1.0 fires TEMPERATURE_DEVIATION (HIGH)', () => {
  assert.equal(typesFor({ temperatureDeltaC: 0.99 }), [], 'expected no trigger under +1.0 °C');
  const fired = evaluateTriggers(rules, { temperatureDeltaC: 1.0 });
  assert.equal(fired.map((t) => [t.type, t.severity, t.recommendation]), [['TEMPERATURE_DEVIATION', 'HIGH', 'rest_and_monitor']], 'expected the inclusive 1.0 bound to fire');
});

test('missing, null and non-finite values never fire', () => {
  assert.equal(typesFor({}), [], 'expected no trigger without metrics');
  assert.equal(typesFor({ hrvRmssdMs: null, sleepScore: undefined }), [], 'expected null/undefined metrics to be ignored');
  assert.equal(typesFor({ hrvRmssdMs: Number.NaN }), [], 'expected NaN to be ignored');
});

test('several metrics fire several triggers in rule order', () => {
  assert.equal(
    typesFor({ hrvRmssdMs: 10, sleepScore: 50, temperatureDeltaC: 2 }),
    ['URGENT_INTERVENTION', 'RECOVERY_INTERVENTION', 'TEMPERATURE_DEVIATION'],
    'expected one trigger per crossed rule, in file order',
  );
});

test('rule sets judged in turn each fire their own rules, with bounds absent or given', () => {
  const strict = parseRuleSet({
    $schemaVersion: 1,
    rules: [
      { id: 'hrv-any', metric: 'hrvRmssdMs', atLeast: 0, type: 'HRV_SEEN', severity: 'LOW', recommendation: 'none' },
      { id: 'sleep-high', metric: 'sleepScore', atLeast: 90, type: 'SLEEP_HIGH', severity: 'LOW', recommendation: 'none' },
    ],
  });
  for (let round = 0; round < 3; round += 1) {
    assert.equal(typesFor({ hrvRmssdMs: 30, sleepScore: 95 }), ['STRESS_INTERVENTION'], 'expected the shipped rules on the shipped set');
    assert.equal(evaluateTriggers(strict, { hrvRmssdMs: 30, sleepScore: 95 }).map((t) => t.type), ['HRV_SEEN', 'SLEEP_HIGH'], 'expected the other set its own rules');
    assert.equal(evaluateTriggers(strict, { hrvRmssdMs: Number.POSITIVE_INFINITY, sleepScore: 89 }).map((t) => t.type), [], 'expected an infinite value and one under the bound to fire nothing');
  }
});

test.run();
