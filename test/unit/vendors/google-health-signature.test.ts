import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { authorizationDigest, googleHealthSignature } from '../../../src/vendors/google-health/signature.ts';
import { body, commonCases, expectOk, expectReason, now } from './signature-cases.ts';

const test = suite('google-health signature');

// Ingress replaces the bearer secret in `Authorization` by its SHA-256 before the record is written.
const sign = (_bytes: Buffer, secret: string) => ({ 'authorization-sha256': authorizationDigest(secret) });

// A bearer secret does not cover the body: tamper cases do not apply (the Authorization is the proof).
commonCases(test, { scheme: googleHealthSignature, sign, signsTimestamp: false, signsBody: false });

test('the configured Authorization value verifies', () => {
  expectOk(googleHealthSignature({ headers: sign(body, 'gh-secret'), body }, { secrets: ['gh-secret'], nowMs: now, toleranceMs: 0 }), 'configured secret');
});

test('another Authorization value is bad_signature', () => {
  expectReason(googleHealthSignature({ headers: sign(body, 'guess'), body }, { secrets: ['gh-secret'], nowMs: now, toleranceMs: 0 }), 'bad_signature', 'wrong secret');
});

test('the digest ignores surrounding whitespace of the header, as HTTP does', () => {
  assert.is(authorizationDigest('  gh-secret '), authorizationDigest('gh-secret'), 'trimmed before hashing');
});

test('rotation: both secrets verify', () => {
  const options = { secrets: ['new', 'old'], nowMs: now, toleranceMs: 0 };
  expectOk(googleHealthSignature({ headers: sign(body, 'old'), body }, options), 'old secret');
  expectOk(googleHealthSignature({ headers: sign(body, 'new'), body }, options), 'new secret');
});

test.run();
