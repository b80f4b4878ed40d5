import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkAuthHeaders } from '../../../src/ingress/cheap-checks.ts';
import { vendors } from '../../../src/vendors/index.ts';

const whoop = vendors.whoop;
const signed = ['Content-Type', 'application/json', 'X-WHOOP-Signature', 'sig', 'x-whoop-signature-timestamp', '1700000000000'];
const test = suite('ingress cheap checks: auth headers from rawHeaders');

test('present once, in any letter case: no problem', () => {
  assert.is(checkAuthHeaders(whoop, signed), undefined, 'accepted');
});

test('missing or blank signature: 401 naming the header', () => {
  assert.equal(checkAuthHeaders(whoop, signed.slice(0, 2).concat(signed.slice(4))), { status: 401, reason: 'missing x-whoop-signature header' }, 'missing');
  assert.is(checkAuthHeaders(whoop, ['x-whoop-signature', '  ', ...signed.slice(4)])?.status, 401, 'blank counts as missing');
});

test('sent twice: the same value is fine, another value is 400', () => {
  assert.is(checkAuthHeaders(whoop, [...signed, 'x-whoop-signature', 'sig ']), undefined, 'same value again (trimmed)');
  assert.equal(
    checkAuthHeaders(whoop, [...signed, 'x-whoop-signature', 'other']),
    { status: 400, reason: 'x-whoop-signature header sent more than once with different values' },
    'different value',
  );
  assert.is(checkAuthHeaders(whoop, [...signed, 'content-type', 'text/plain'])?.status, 400, 'content type twice, differing');
});

test('a missing header is reported before a repeated one', () => {
  assert.is(checkAuthHeaders(whoop, ['x-whoop-signature', 'a', 'x-whoop-signature', 'b'])?.status, 401, 'timestamp missing wins');
});

test('headers the check does not read are ignored, repeated or not', () => {
  assert.is(checkAuthHeaders(whoop, [...signed, 'accept', 'a', 'accept', 'b']), undefined, 'accept twice');
});

test.run();
