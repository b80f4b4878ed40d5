import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import { healthkitSignature } from '../../../src/vendors/healthkit/signature.ts';
import { body, commonCases, expectOk, expectReason, hourMs, now } from './signature-cases.ts';

const test = suite('healthkit signature');

// Our scheme: hex HMAC-SHA256(app secret, `${timestamp_ms}.${raw body}`).
const sign = (bytes: Buffer, secret: string, signedAtMs: number) => {
  const timestamp = String(signedAtMs);
  return {
    'x-bridge-timestamp': timestamp,
    'x-bridge-signature': createHmac('sha256', secret).update(`${timestamp}.`).update(bytes).digest('hex'),
  };
};

commonCases(test, { scheme: healthkitSignature, sign, signsTimestamp: true });

test('a fixed vector: the dot separator is part of the signed bytes', () => {
  const headers = {
    'x-bridge-timestamp': '1780315200000',
    'x-bridge-signature': createHmac('sha256', 'app-secret').update('1780315200000.{}').digest('hex'),
  };
  expectOk(healthkitSignature({ headers, body: Buffer.from('{}') }, { secrets: ['app-secret'], nowMs: 1_780_315_200_000, toleranceMs: hourMs }), 'fixed vector');
});

test('signing without the separator fails', () => {
  const timestamp = String(now);
  const headers = { 'x-bridge-timestamp': timestamp, 'x-bridge-signature': createHmac('sha256', 's').update(timestamp).update(body).digest('hex') };
  expectReason(healthkitSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'bad_signature', 'no separator');
});

test.run();
