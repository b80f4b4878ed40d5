import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { header } from '../../../src/vendors/kit/webhook.ts';

test('a header is found whatever the case of its name, its value trimmed', () => {
  assert.is(header({ 'X-Terra-Trace-Id': ' abc ' }, 'x-terra-trace-id'), 'abc');
  assert.is(header({ 'x-terra-trace-id': 'abc' }, 'X-Terra-Trace-Id'), 'abc');
  assert.is(header({ 'x-terra-trace-ids': 'abc', 'x-terra-trace-i': 'def' }, 'x-terra-trace-id'), undefined, 'names that only start or end alike do not match');
});

test('repeated values: the same value twice is that value, two different values are ambiguous (absent)', () => {
  assert.is(header({ 'content-type': ['application/json', ' application/json'] }, 'content-type'), 'application/json');
  assert.is(header({ 'content-type': ['application/json', 'text/plain'] }, 'content-type'), undefined);
  assert.is(header({ 'Content-Type': 'application/json', 'content-type': 'text/plain' }, 'content-type'), undefined, 'two spellings with two values');
  assert.is(header({ 'Content-Type': 'application/json', 'content-type': 'application/json' }, 'content-type'), 'application/json', 'two spellings, one value');
});

test('an undefined or empty value reads as absent', () => {
  assert.is(header({ 'source-address': undefined }, 'source-address'), undefined);
  assert.is(header({ 'source-address': '  ' }, 'source-address'), undefined);
  assert.is(header({}, 'source-address'), undefined);
});

test.run();
