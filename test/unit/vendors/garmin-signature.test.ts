import { suite } from 'uvu';
import { garminSignature } from '../../../src/vendors/garmin/signature.ts';
import { body, commonCases, expectOk, expectReason, now } from './signature-cases.ts';

const test = suite('garmin signature');

// Garmin does not sign: the consumer key in `garmin-client-id` is the evidence ("secret" here).
const sign = (_bytes: Buffer, clientId: string) => ({ 'garmin-client-id': clientId });

commonCases(test, { scheme: garminSignature, sign, signsTimestamp: false, signsBody: false });

test('our consumer key verifies, any other is bad_signature', () => {
  const options = { secrets: ['consumer-key-1'], nowMs: now, toleranceMs: 0 };
  expectOk(garminSignature({ headers: { 'Garmin-Client-Id': 'consumer-key-1' }, body }, options), 'our key');
  expectReason(garminSignature({ headers: { 'garmin-client-id': 'consumer-key-2' }, body }, options), 'bad_signature', 'other key');
  expectReason(garminSignature({ headers: { 'garmin-client-id': 'consumer-key-' }, body }, options), 'bad_signature', 'prefix of our key');
});

test.run();
