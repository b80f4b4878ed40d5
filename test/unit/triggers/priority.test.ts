import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { priorityOf } from '../../../src/triggers/index.ts';

test('no triggers → normal', () => {
  assert.is(priorityOf([]), 'normal', 'expected normal without triggers');
});

test('any CRITICAL → high, whatever else fired', () => {
  assert.is(priorityOf([{ severity: 'MEDIUM' }, { severity: 'CRITICAL' }, { severity: 'HIGH' }]), 'high', 'expected CRITICAL to win');
});

test('HIGH without CRITICAL → medium', () => {
  assert.is(priorityOf([{ severity: 'HIGH' }, { severity: 'MEDIUM' }]), 'medium', 'expected HIGH to map to medium');
});

test('only MEDIUM or LOW → normal', () => {
  assert.is(priorityOf([{ severity: 'MEDIUM' }, { severity: 'LOW' }]), 'normal', 'expected MEDIUM/LOW to stay normal');
});

test.run();
