import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BodyError, decodeBody, maxJsonDepth } from '../../../../src/vendors/kit/body.ts';

const refusal = (bytes: Buffer): BodyError => {
  try {
    decodeBody('json', bytes);
  } catch (error) {
    assert.instance(error, BodyError, 'a BodyError');
    return error as BodyError;
  }
  throw new Error('expected the body to be refused');
};

const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

test('nesting up to the limit decodes; one level deeper is refused with the depth', () => {
  assert.ok(decodeBody('json', nested(maxJsonDepth)), 'at the limit');
  assert.match(refusal(nested(maxJsonDepth + 1)).detail, `nested ${maxJsonDepth + 1} levels deep`, 'names the depth');
});

test('many brackets side by side are not depth: a long shallow list decodes', () => {
  const list = Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ i, tags: [i] }))));
  assert.is((decodeBody('json', list) as unknown[]).length, 500, 'every item');
});

test('brackets inside strings do not count toward the depth', () => {
  const body = Buffer.from(JSON.stringify({ note: '{['.repeat(200), list: [[[1]]] }));
  assert.equal((decodeBody('json', body) as { list: unknown }).list, [[[1]]], 'decoded');
});

test('invalid UTF-8 and an empty body are malformed, with a reason', () => {
  assert.match(refusal(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])).detail, 'not valid UTF-8', 'invalid UTF-8');
  assert.match(refusal(Buffer.alloc(0)).detail, 'empty', 'empty');
  assert.is(refusal(Buffer.from('{"a":')).reason, 'malformed_body', 'truncated JSON');
});

test('a multi-byte UTF-8 body decodes as text', () => {
  assert.equal(decodeBody('json', Buffer.from('{"name":"Zoë ☀"}')), { name: 'Zoë ☀' }, 'decoded');
});

test.run();
