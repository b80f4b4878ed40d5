import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRuleSet, parseRuleSet, RuleSetError } from '../../../src/triggers/index.ts';

const valid = {
  id: 'hrv-critical',
  metric: 'hrvRmssdMs',
  below: 25,
  type: 'URGENT_INTERVENTION',
  severity: 'CRITICAL',
  recommendation: 'immediate_stress_protocol',
};

function problemsOf(data: unknown): string[] {
  try {
    parseRuleSet(data, 'rules.json');
  } catch (error) {
    assert.instance(error, RuleSetError, 'expected a RuleSetError');
    assert.match((error as Error).message, 'rules.json', 'expected the message to name the file');
    return [...(error as RuleSetError).problems];
  }
  assert.unreachable('expected the rule set to be rejected');
  return [];
}

test('a valid rule set parses and is frozen', () => {
  const set = parseRuleSet({ $schemaVersion: 1, rules: [valid] });
  assert.is(set.rules.length, 1, 'expected one rule');
  assert.ok(Object.isFrozen(set.rules[0]), 'expected rules to be immutable');
});

test('unknown metric names the allowed metrics', () => {
  const [problem] = problemsOf({ $schemaVersion: 1, rules: [{ ...valid, metric: 'hrv' }] });
  assert.match(problem ?? '', /rules\.0\.metric: must be one of hrvRmssdMs/, 'expected the path and the allowed metrics');
});

test('a rule without any bound is rejected', () => {
  const { below: _below, ...unbounded } = valid;
  const [problem] = problemsOf({ $schemaVersion: 1, rules: [unbounded] });
  assert.match(problem ?? '', /needs a bound/, 'expected the missing bound to be explained');
});

test('atLeast >= below is rejected as never firing', () => {
  const [problem] = problemsOf({ $schemaVersion: 1, rules: [{ ...valid, atLeast: 40, below: 25 }] });
  assert.match(problem ?? '', /can never fire/, 'expected an inverted range to be explained');
});

test('a baseline condition on a deviation metric (temperatureDeltaC) is rejected: its median is 0 or below as often as not, and such a rule would never fire', () => {
  const { below: _below, ...unbounded } = valid;
  const [problem] = problemsOf({ $schemaVersion: 1, rules: [{ ...unbounded, metric: 'temperatureDeltaC', baseline: { changeAtLeast: 0.5, minDays: 5 } }] });
  assert.match(problem ?? '', /"baseline" cannot judge temperatureDeltaC/, 'expected the metric named with the reason');
  assert.is(parseRuleSet({ $schemaVersion: 1, rules: [{ ...unbounded, metric: 'restingHeartRateBpm', baseline: { changeAtLeast: 0.1, minDays: 5 } }] }).rules.length, 1, 'expected a baseline on a level metric accepted');
});

test('bad severity, type case and a misspelt key are each reported', () => {
  const problems = problemsOf({
    $schemaVersion: 1,
    rules: [{ ...valid, severity: 'SEVERE', type: 'urgent', treshold: 3 }],
  });
  const text = problems.join('\n');
  assert.match(text, /rules\.0\.severity: must be one of CRITICAL, HIGH, MEDIUM, LOW/, 'expected the severity problem');
  assert.match(text, /rules\.0\.type: must be UPPER_SNAKE_CASE/, 'expected the type problem');
  assert.match(text, /treshold/, 'expected the unknown key to be named');
});

test('a missing or wrong version and an empty rule list are rejected', () => {
  assert.match(problemsOf({ rules: [valid] }).join('\n'), /\$schemaVersion: must be 1/, 'expected the version problem');
  assert.match(problemsOf({ $schemaVersion: 1, rules: [] }).join('\n'), /rules: must hold at least one rule/, 'expected the empty list problem');
});

test('the same metric and type twice is reported as a duplicate', () => {
  const [problem] = problemsOf({ $schemaVersion: 1, rules: [valid, { ...valid, id: 'hrv-other', below: 20 }] });
  assert.match(problem ?? '', /rules\.1: repeats metric hrvRmssdMs with type URGENT_INTERVENTION of rules\.0/, 'expected the duplicate to be named');
});

test('a repeated rule id is reported', () => {
  const problems = problemsOf({ $schemaVersion: 1, rules: [valid, { ...valid, type: 'OTHER_TYPE' }] });
  assert.match(problems.join('\n'), /rules\.1\.id: "hrv-critical" is already the id of rules\.0/, 'expected the repeated id to be named');
});

test('loadRuleSet reports unreadable files and bad JSON with the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rules-'));
  try {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "rules": [');
    const syntax = await loadRuleSet(broken).catch((error: unknown) => error);
    assert.instance(syntax, RuleSetError, 'expected bad JSON to give a RuleSetError');
    assert.match(String(syntax), /broken\.json:\n\s+- not valid JSON/, 'expected a JSON syntax problem naming the file');
    const missing = await loadRuleSet(join(dir, 'missing.json')).catch((error: unknown) => error);
    assert.match(String(missing), /cannot read the file/, 'expected a read problem');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
