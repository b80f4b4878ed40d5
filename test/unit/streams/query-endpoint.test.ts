import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeQueryEndpoint, encodeQueryEndpoint } from '../../../src/streams/state/query.ts';

test('a member that gave its URL is named by it, whatever host the broker saw', () => {
  assert.is(decodeQueryEndpoint(encodeQueryEndpoint({ endpoint: 'https://enrich-2.internal:8443/bridge' }), '10.0.0.7'), 'https://enrich-2.internal:8443/bridge');
});

test('a member that gave only its port is named at the host the broker saw, an IPv6 one in brackets', () => {
  assert.is(decodeQueryEndpoint(encodeQueryEndpoint({ port: 9464 }), '10.0.0.7'), 'http://10.0.0.7:9464');
  assert.is(decodeQueryEndpoint(encodeQueryEndpoint({ port: 9464 }), 'fd00::7'), 'http://[fd00::7]:9464');
});

test('a member of an older build (no user data) or with data that is not ours is named by client id and host alone', () => {
  assert.is(encodeQueryEndpoint(undefined).length, 0);
  assert.is(decodeQueryEndpoint(Buffer.alloc(0), '10.0.0.7'), undefined);
  assert.is(decodeQueryEndpoint(Buffer.from([0xff, 0x00, 0x13]), '10.0.0.7'), undefined);
  assert.is(decodeQueryEndpoint(Buffer.from('{"other":1}'), '10.0.0.7'), undefined);
});

test.run();
