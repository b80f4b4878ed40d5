import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { googleHealthVerification } from '../../../src/vendors/google-health/handshake.ts';
import { authorizationDigest, bearerCredential, googleHealthSignature } from '../../../src/vendors/google-health/signature.ts';
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

// Google sends `endpointAuthorization.secret` as the whole Authorization value, scheme included.
test('Authorization: Bearer <token> verifies against a configured bare token, the scheme in any case', () => {
  const options = { secrets: ['gh-secret'], nowMs: now, toleranceMs: 0 };
  for (const value of ['Bearer gh-secret', 'bearer gh-secret', 'BEARER   gh-secret', ' Bearer gh-secret ']) {
    expectOk(googleHealthSignature({ headers: sign(body, value), body }, options), JSON.stringify(value));
  }
});

test('a secret configured as "Bearer <token>" still verifies both the RFC 6750 form and the bare token', () => {
  const options = { secrets: ['Bearer gh-secret'], nowMs: now, toleranceMs: 0 };
  expectOk(googleHealthSignature({ headers: sign(body, 'Bearer gh-secret'), body }, options), 'bearer form');
  expectOk(googleHealthSignature({ headers: sign(body, 'bearer gh-secret'), body }, options), 'lower-case scheme');
  expectOk(googleHealthSignature({ headers: sign(body, 'gh-secret'), body }, options), 'bare token');
});

test('another scheme or another token is bad_signature', () => {
  const options = { secrets: ['gh-secret'], nowMs: now, toleranceMs: 0 };
  expectReason(googleHealthSignature({ headers: sign(body, 'Basic gh-secret'), body }, options), 'bad_signature', 'basic scheme');
  expectReason(googleHealthSignature({ headers: sign(body, 'Bearer gh-secret2'), body }, options), 'bad_signature', 'other token');
  expectReason(googleHealthSignature({ headers: sign(body, 'Bearer'), body }, options), 'bad_signature', 'scheme alone');
});

test('the recorded digest is of the credential, so the secret never reaches Kafka in any form', () => {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  assert.is(authorizationDigest('Bearer gh-secret'), sha('gh-secret'), 'digest of the token');
  assert.is(bearerCredential('bEaReR gh-secret'), 'gh-secret', 'scheme matched case-insensitively');
  assert.is(bearerCredential('Basic dXNlcjpwYXNz'), 'Basic dXNlcjpwYXNz', 'another scheme kept whole');
});

test('a raw record digested whole before credentials were digested still verifies', () => {
  const legacy = { 'authorization-sha256': createHash('sha256').update('Bearer gh-secret').digest('hex') };
  expectOk(googleHealthSignature({ headers: legacy, body }, { secrets: ['Bearer gh-secret'], nowMs: now, toleranceMs: 0 }), 'legacy digest');
});

test('verification POSTs: 201 with our Authorization in either form, 401 without or with another', () => {
  const verification = Buffer.from('{"type":"verification"}');
  const settings = { ouraVerificationToken: undefined, googleHealthSecrets: ['gh-secret'] };
  assert.is(googleHealthVerification({ authorization: 'Bearer gh-secret', body: verification }, settings)?.status, 201, 'bearer form');
  assert.is(googleHealthVerification({ authorization: 'gh-secret', body: verification }, settings)?.status, 201, 'bare token');
  assert.is(googleHealthVerification({ authorization: undefined, body: verification }, settings)?.status, 401, 'no Authorization');
  assert.is(googleHealthVerification({ authorization: 'Bearer guess', body: verification }, settings)?.status, 401, 'another token');
  assert.is(googleHealthVerification({ authorization: 'Bearer gh-secret', body: Buffer.from('{"data":{}}') }, settings), undefined, 'a delivery is no handshake');
});

test('rotation: both secrets verify', () => {
  const options = { secrets: ['new', 'old'], nowMs: now, toleranceMs: 0 };
  expectOk(googleHealthSignature({ headers: sign(body, 'old'), body }, options), 'old secret');
  expectOk(googleHealthSignature({ headers: sign(body, 'new'), body }, options), 'new secret');
});

test.run();
