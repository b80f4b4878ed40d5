import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonErrorPosition } from '../../../src/connections/json-error-position.ts';

test('the place a text stops being JSON: where the offending token begins', () => {
  const cases: Array<[string, { line: number; column: number }]> = [
    ['[{"a": "b" "c": 1}]', { line: 1, column: 12 }],
    ['[{"a": 1,}]', { line: 1, column: 10 }],
    ['[{"a":\n "tok"}\n oops]', { line: 3, column: 2 }],
    ["[{'a': 1}]", { line: 1, column: 3 }],
    ['[\n  x]', { line: 2, column: 3 }],
    ['[tru]', { line: 1, column: 2 }],
    ['{"a" 1}', { line: 1, column: 6 }],
    ['', { line: 1, column: 1 }],
    ['[1,\n2', { line: 2, column: 2 }],
    ['{"a": 1} // a comment', { line: 1, column: 10 }],
  ];
  for (const [text, at] of cases) assert.equal(jsonErrorPosition(text), at, `expected ${JSON.stringify(at)} for ${JSON.stringify(text)}`);
});

test('every text JSON.parse refuses has a position; valid JSON has none', () => {
  for (const text of ['{"a": "x\ny"}', '{"a": "\\q"}', '[01]', '[1.]', '[-]', '{1: 2}', '"abc', '[1] 2']) {
    assert.throws(() => JSON.parse(text));
    assert.ok(jsonErrorPosition(text), `expected a position for ${JSON.stringify(text)}`);
  }
  for (const text of ['[]', ' {"a": [1, -0.5e3, "\\u00e9\\n", true, false, null, {}]} ', '"x"', '0']) {
    assert.is(jsonErrorPosition(text), undefined, `expected ${JSON.stringify(text)} to be JSON`);
  }
});

test('nesting too deep to parse gives no position rather than an error', () => {
  assert.is(jsonErrorPosition('['.repeat(200_000)), undefined, 'expected undefined');
});

test.run();
