import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import { ouraSignature } from '../../../src/vendors/oura/signature.ts';
import { body, commonCases, expectOk, expectReason, hourMs, now } from './signature-cases.ts';

const test = suite('oura signature');

// Documented scheme: upper-case hex HMAC-SHA256(client secret, timestamp + raw body), unix seconds.
const sign = (bytes: Buffer, secret: string, signedAtMs: number) => {
  const timestamp = String(Math.floor(signedAtMs / 1000));
  const signature = createHmac('sha256', secret).update(timestamp + bytes.toString()).digest('hex').toUpperCase();
  return { 'x-oura-signature': signature, 'x-oura-timestamp': timestamp };
};

commonCases(test, { scheme: ouraSignature, sign, signsTimestamp: true });

test('a fixed vector: known secret, timestamp and body give the expected signature', () => {
  const headers = {
    'x-oura-timestamp': '1780315200',
    'x-oura-signature': createHmac('sha256', 'oura-secret').update('1780315200{"a":1}').digest('hex').toUpperCase(),
  };
  const check = ouraSignature({ headers, body: Buffer.from('{"a":1}') }, { secrets: ['oura-secret'], nowMs: 1_780_315_200_000, toleranceMs: hourMs });
  expectOk(check, 'fixed vector');
});

test('lower-case hex is accepted: Oura asks for a case-insensitive compare', () => {
  const headers = sign(body, 's', now);
  headers['x-oura-signature'] = headers['x-oura-signature'].toLowerCase();
  expectOk(ouraSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'lower-case hex');
});

test('a millisecond timestamp is read as ms (the unit is not confirmed by Oura)', () => {
  const timestamp = String(now - 60_000);
  const signature = createHmac('sha256', 's').update(timestamp + body.toString()).digest('hex');
  const headers = { 'x-oura-signature': signature, 'x-oura-timestamp': timestamp };
  expectOk(ouraSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'ms timestamp');
});

test('a non-numeric timestamp is bad_signature', () => {
  const headers = { ...sign(body, 's', now), 'x-oura-timestamp': '2026-06-01T12:00:00Z' };
  expectReason(ouraSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'bad_signature', 'ISO timestamp');
});

test.run();
