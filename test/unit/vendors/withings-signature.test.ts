import { suite } from 'uvu';
import { withingsSignature } from '../../../src/vendors/withings/signature.ts';
import { vendors } from '../../../src/vendors/index.ts';
import * as assert from 'uvu/assert';
import { body, expectOk, now } from './signature-cases.ts';

const test = suite('withings signature');

test('Withings sends no signature: the scheme accepts and leaves the proof to network and user checks', () => {
  expectOk(withingsSignature({ headers: {}, body }, { secrets: [], nowMs: now, toleranceMs: 0 }), 'unsigned request');
  assert.ok(vendors.withings.requiresConnection, 'withings must require a connected user');
  assert.ok(vendors.withings.checksSourceNetwork, 'withings must check the source network');
});

test('a Withings form body yields its userid', () => {
  const parsed = Object.fromEntries(new URLSearchParams('userid=123456&appli=44&startdate=1780315200&enddate=1780318800'));
  assert.equal(vendors.withings.userIds(parsed), ['123456'], 'userid from the form body');
});

test.run();
