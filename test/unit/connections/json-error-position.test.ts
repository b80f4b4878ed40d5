import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonErrorPosition } from '../../../src/connections/json-error-position.ts';

// Where a text stops being JSON: the place JSON.parse names when it names one.

const v8Position = (text: string) => {
  try {
    JSON.parse(text);
  } catch (error) {
    const match = /\(line (\d+) column (\d+)\)/.exec((error as Error).message);
    return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined;
  }
  throw new Error(`expected ${text} not to be JSON`);
};

test('the position JSON.parse names, for every error it names one for', () => {
  const texts = [
    '[{"a": "b" "c": 1}]',
    '[{"a": 1,}]',
    '[{"a":\n "tok"}\n oops]',
    '[1] 2',
    '{"a": "x\ny"}',
    '{"a": "\\q"}',
    '{"a": "\\u12G4"}',
    '[01]',
    '[1.]',
    '[1e+]',
    '[-]',
    '{"a" 1}',
    '{1: 2}',
    '"abc',
  ];
  for (const text of texts) {
    const named = v8Position(text);
    assert.ok(named, `expected V8 to name a position for ${JSON.stringify(text)}`);
    assert.equal(jsonErrorPosition(text), named, `expected V8's position for ${JSON.stringify(text)}`);
  }
});

test('a position also where JSON.parse names none', () => {
  assert.equal(jsonErrorPosition("[{'a': 1}]"), { line: 1, column: 3 }, 'expected the single quote');
  assert.equal(jsonErrorPosition('[\n  x]'), { line: 2, column: 3 }, 'expected the bare word');
  assert.equal(jsonErrorPosition('[tru]'), { line: 1, column: 5 }, 'expected the character after a cut-off literal');
  assert.equal(jsonErrorPosition(''), { line: 1, column: 1 }, 'expected the empty text’s start');
  assert.equal(jsonErrorPosition('[1,\n2'), { line: 2, column: 2 }, 'expected the end of a cut-off text');
});

test('valid JSON has no error position', () => {
  for (const text of ['[]', ' {"a": [1, -0.5e3, "\\u00e9\\n", true, false, null, {}]} ', '"x"', '0']) {
    assert.is(jsonErrorPosition(text), undefined, `expected ${JSON.stringify(text)} to scan as JSON`);
  }
});

test('nesting too deep to scan gives no position rather than an error', () => {
  assert.is(jsonErrorPosition('['.repeat(200_000)), undefined, 'expected undefined');
});

test.run();
