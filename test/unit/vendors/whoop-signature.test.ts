import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import { whoopSignature } from '../../../src/vendors/whoop/signature.ts';
import { body, commonCases, expectOk, expectReason, hourMs, now } from './signature-cases.ts';

const test = suite('whoop signature');

// Documented scheme: base64 HMAC-SHA256(client secret, timestamp_ms + raw body).
const sign = (bytes: Buffer, secret: string, signedAtMs: number) => {
  const timestamp = String(signedAtMs);
  const signature = createHmac('sha256', secret).update(timestamp).update(bytes).digest('base64');
  return { 'X-WHOOP-Signature': signature, 'X-WHOOP-Signature-Timestamp': timestamp };
};

commonCases(test, { scheme: whoopSignature, sign, signsTimestamp: true });

test('a fixed vector computed from the documented scheme verifies', () => {
  const raw = Buffer.from('{"user_id":10129,"id":"ecfc6a15-4661-442f-a9a4-f160dd7afae8","type":"sleep.updated","trace_id":"e369c784-5100-49e8-8098-75d35c47b31b"}');
  const headers = {
    'x-whoop-signature-timestamp': '1780315200000',
    'x-whoop-signature': createHmac('sha256', 'whoop-secret').update(`1780315200000${raw.toString()}`).digest('base64'),
  };
  expectOk(whoopSignature({ headers, body: raw }, { secrets: ['whoop-secret'], nowMs: 1_780_315_200_000, toleranceMs: hourMs }), 'fixed vector');
});

test('a hex signature is not WHOOP\'s encoding and fails', () => {
  const headers = sign(body, 's', now);
  headers['X-WHOOP-Signature'] = Buffer.from(headers['X-WHOOP-Signature'], 'base64').toString('hex');
  expectReason(whoopSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'bad_signature', 'hex instead of base64');
});

test('a timestamp in seconds is read as ms and so is far too old', () => {
  const timestamp = String(Math.floor(now / 1000));
  const signature = createHmac('sha256', 's').update(timestamp).update(body).digest('base64');
  const headers = { 'x-whoop-signature': signature, 'x-whoop-signature-timestamp': timestamp };
  expectReason(whoopSignature({ headers, body }, { secrets: ['s'], nowMs: now, toleranceMs: hourMs }), 'stale_timestamp', 'seconds where ms are documented');
});

test.run();
