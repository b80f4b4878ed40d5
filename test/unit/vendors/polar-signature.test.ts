import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import { polarSignature } from '../../../src/vendors/polar/signature.ts';
import { body, commonCases, expectOk, expectReason, now } from './signature-cases.ts';

const test = suite('polar signature');

// Scheme: hex HMAC-SHA256(signature_secret_key, raw body); no timestamp is signed.
const sign = (bytes: Buffer, secret: string) => ({
  'Polar-Webhook-Signature': createHmac('sha256', secret).update(bytes).digest('hex'),
  'Polar-Webhook-Event': 'EXERCISE',
});

commonCases(test, { scheme: polarSignature, sign, signsTimestamp: false });

test('a fixed vector computed from the scheme verifies', () => {
  const raw = Buffer.from('{"event":"EXERCISE","user_id":475,"entity_id":"aQlC83","timestamp":"2026-06-01T12:00:00.000Z","url":"https://www.polaraccesslink.com/v3/exercises/aQlC83"}');
  const headers = { 'polar-webhook-signature': createHmac('sha256', 'polar-secret').update(raw).digest('hex') };
  expectOk(polarSignature({ headers, body: raw }, { secrets: ['polar-secret'], nowMs: now, toleranceMs: 0 }), 'fixed vector');
});

test('a signature that is not hex is bad_signature', () => {
  expectReason(polarSignature({ headers: { 'polar-webhook-signature': 'not-hex!' }, body }, { secrets: ['s'], nowMs: now, toleranceMs: 0 }), 'bad_signature', 'garbage signature');
});

test.run();
