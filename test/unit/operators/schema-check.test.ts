import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { explainIncompatibility } from '../../../src/operators/schema-check.ts';

const record = (fields: unknown[]) => JSON.stringify({ type: 'record', name: 'Reading', namespace: 'test', fields });
const v1 = record([{ name: 'metric', type: 'string' }, { name: 'value', type: 'double' }]);

test('adding a field with a default breaks nothing', () => {
  const v2 = record([{ name: 'metric', type: 'string' }, { name: 'value', type: 'double' }, { name: 'unit', type: 'string', default: '' }]);
  assert.equal(explainIncompatibility(v2, [{ version: 1, schema: v1 }], 'BACKWARD_TRANSITIVE'), [], 'expected no problem');
});

test('adding a field without a default breaks BACKWARD and names the version', () => {
  const v2 = record([{ name: 'metric', type: 'string' }, { name: 'value', type: 'double' }, { name: 'unit', type: 'string' }]);
  const problems = explainIncompatibility(v2, [{ version: 1, schema: v1 }], 'BACKWARD_TRANSITIVE');
  assert.is(problems.length, 1, 'expected one problem');
  assert.match(problems[0] ?? '', 'cannot read data written with version 1', 'expected the broken version named');
});

test('a type change breaks BACKWARD', () => {
  const v2 = record([{ name: 'metric', type: 'string' }, { name: 'value', type: 'string' }]);
  assert.ok(explainIncompatibility(v2, [{ version: 1, schema: v1 }], 'BACKWARD').length > 0, 'expected double → string refused');
});

test('removing a field without default breaks FORWARD', () => {
  const v2 = record([{ name: 'metric', type: 'string' }]);
  const problems = explainIncompatibility(v2, [{ version: 1, schema: v1 }], 'FORWARD');
  assert.match(problems[0] ?? '', 'version 1 cannot read data written with the new schema', 'expected the forward rule named');
});

test('non-transitive levels check the latest version only', () => {
  const v0 = record([{ name: 'metric', type: 'int' }]);
  const v2 = record([{ name: 'metric', type: 'string' }, { name: 'value', type: 'double', default: 0 }]);
  const registered = [{ version: 1, schema: v0 }, { version: 2, schema: v1 }];
  assert.is(explainIncompatibility(v2, registered, 'BACKWARD').length, 0, 'expected only version 2 checked');
  assert.is(explainIncompatibility(v2, registered, 'BACKWARD_TRANSITIVE').length, 1, 'expected version 1 checked too');
});

test.run();
