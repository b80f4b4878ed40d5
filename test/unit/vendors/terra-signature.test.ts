import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import { terraSignature } from '../../../src/vendors/terra/signature.ts';
import { body, commonCases, expectOk, expectReason, hourMs, now } from './signature-cases.ts';

const test = suite('terra signature');

// Documented scheme: `t=<unix s>,v1=<hex HMAC-SHA256(signing secret, `${t}.${raw body}`)>`.
const v1 = (bytes: Buffer, secret: string, t: string) => createHmac('sha256', secret).update(`${t}.`).update(bytes).digest('hex');
const sign = (bytes: Buffer, secret: string, signedAtMs: number) => {
  const t = String(Math.floor(signedAtMs / 1000));
  return { 'terra-signature': `t=${t},v1=${v1(bytes, secret, t)}` };
};
const options = { secrets: ['s'], nowMs: now, toleranceMs: 26 * hourMs };

commonCases(test, { scheme: terraSignature, sign, signsTimestamp: true });

test('the newer X-Terra-Signature header alone verifies', () => {
  const headers = { 'X-Terra-Signature': sign(body, 's', now)['terra-signature'] };
  expectOk(terraSignature({ headers, body }, options), 'X-Terra-Signature only');
});

test('both header names carrying the same value verify', () => {
  const value = sign(body, 's', now)['terra-signature'];
  expectOk(terraSignature({ headers: { 'terra-signature': value, 'x-terra-signature': value }, body }, options), 'both names');
});

test('a retry signed 23 hours ago is inside Terra\'s 24 h retry horizon', () => {
  expectOk(terraSignature({ headers: sign(body, 's', now - 23 * hourMs), body }, options), '23 h old');
});

test('any of several v1 entries may match', () => {
  const t = String(Math.floor(now / 1000));
  const headers = { 'terra-signature': `t=${t}, v1=${'ab'.repeat(32)}, v1=${v1(body, 's', t)}` };
  expectOk(terraSignature({ headers, body }, options), 'second v1 matches');
});

test('a header without t= or v1= is bad_signature', () => {
  expectReason(terraSignature({ headers: { 'terra-signature': `v1=${'ab'.repeat(32)}` }, body }, options), 'bad_signature', 'no t=');
  expectReason(terraSignature({ headers: { 'terra-signature': 't=1780315200' }, body }, options), 'bad_signature', 'no v1=');
});

test('a millisecond t (Terra\'s Diagnostics example) is read as ms', () => {
  const t = String(now);
  expectOk(terraSignature({ headers: { 'terra-signature': `t=${t},v1=${v1(body, 's', t)}` }, body }, options), 'ms t');
});

test.run();
