import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getHandshake, postHandshake } from '../../../src/ingress/handshakes.ts';
import { vendors } from '../../../src/vendors/index.ts';

const settings = { ouraVerificationToken: 'oura-token', googleHealthSecrets: ['gh-token'] };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

test("GET handshakes come from the vendor's plugin", () => {
  const query = new URLSearchParams({ verification_token: 'oura-token', challenge: 'c-1' });
  assert.equal(getHandshake(vendors.oura, query, settings), { status: 200, body: { challenge: 'c-1' } }, 'oura echoes the challenge');
  assert.is(getHandshake(vendors.oura, new URLSearchParams({ verification_token: 'guess', challenge: 'c' }), settings)?.status, 401, 'oura refuses another token');
  assert.is(getHandshake(vendors.whoop, query, settings), undefined, 'whoop has no GET handshake');
});

test("POST handshakes come from the vendor's plugin; ordinary deliveries are none", () => {
  assert.is(postHandshake(vendors.polar, undefined, json({ event: 'PING', timestamp: '2026-06-01T12:00:00Z' }), settings)?.status, 200, 'polar PING');
  assert.is(postHandshake(vendors.polar, undefined, json({ event: 'EXERCISE', user_id: 1 }), settings), undefined, 'polar delivery');
  const verification = json({ type: 'verification' });
  assert.is(postHandshake(vendors['google-health'], 'Bearer gh-token', verification, settings)?.status, 201, 'google-health with our Authorization');
  assert.is(postHandshake(vendors['google-health'], undefined, verification, settings)?.status, 401, 'google-health without');
  assert.is(postHandshake(vendors.whoop, undefined, json({ event: 'PING' }), settings), undefined, 'whoop has no POST handshake');
  assert.is(postHandshake(vendors.polar, undefined, Buffer.from('{"event":'), settings), undefined, 'a body that is not JSON is no handshake');
});

test.run();
