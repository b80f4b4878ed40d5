import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { receivedAtOf } from '../../../src/vendors/kit/received-at.ts';
import { vendorOf } from '../../../src/vendors/normalize-record.ts';
import { RecordError } from '../../../src/streams/errors.ts';

test('vendor comes from the key prefix, else the topic suffix', () => {
  assert.is(vendorOf('google-health:118', 'whatever'), 'google-health', 'expected the key prefix');
  assert.is(vendorOf(null, 'verified.polar'), 'polar', 'expected the topic suffix');
  assert.throws(() => vendorOf('nobody:1', 'test.x'), (e: unknown) => e instanceof RecordError && e.reason === 'unknown_vendor', 'expected unknown_vendor');
});

test('receivedAt comes from the received-at header, else the record timestamp', () => {
  assert.is(receivedAtOf({ 'received-at': '1736942400000' }, 5), 1_736_942_400_000, 'expected the header');
  assert.is(receivedAtOf({ 'received-at': 'soon' }, 5), 5, 'expected the timestamp for a bad header');
  assert.is(receivedAtOf({}, 7), 7, 'expected the timestamp without a header');
});

test.run();
