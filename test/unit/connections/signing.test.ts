import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { newNonce, pkceChallenge, pkceVerifier, signConnectLink, signState, verifyConnectLink, verifyState } from '../../../src/connections/signing.ts';

const secret = 'a-connect-link-secret-of-at-least-32-chars';
const now = 1_800_000_000;
const day = 86_400;

test('a link signed as the README shows verifies and yields the user', () => {
  const exp = now + 600;
  const sig = createHmac('sha256', secret).update(`oura\nuser-42\n${exp}`).digest('hex');
  const check = verifyConnectLink(secret, 'oura', new URLSearchParams({ user: 'user-42', exp: String(exp), sig }), now, day);
  assert.equal(check, { ok: true, userId: 'user-42' }, 'expected the documented signature accepted');
  const built = new URLSearchParams(signConnectLink(secret, 'oura', 'user-42', exp));
  assert.is(built.get('sig'), sig, 'expected signConnectLink to produce the same signature');
});

test('a link for another vendor, user or expiry is refused', () => {
  const query = new URLSearchParams(signConnectLink(secret, 'oura', 'user-42', now + 600));
  assert.equal(verifyConnectLink(secret, 'whoop', query, now, day), { ok: false, reason: 'the link signature does not match' }, 'expected the vendor bound');
  const otherUser = new URLSearchParams(query);
  otherUser.set('user', 'user-43');
  assert.is(verifyConnectLink(secret, 'oura', otherUser, now, day).ok, false, 'expected the user bound');
  const later = new URLSearchParams(query);
  later.set('exp', String(now + 900));
  assert.is(verifyConnectLink(secret, 'oura', later, now, day).ok, false, 'expected the expiry bound');
});

test('an expired link, a link valid too long and a link without sig are refused with a reason', () => {
  const expired = new URLSearchParams(signConnectLink(secret, 'oura', 'u', now - 1));
  assert.equal(verifyConnectLink(secret, 'oura', expired, now, day), { ok: false, reason: 'the link has expired; ask the app for a new one' }, 'expected expiry');
  const tooLong = new URLSearchParams(signConnectLink(secret, 'oura', 'u', now + 2 * day));
  assert.equal(verifyConnectLink(secret, 'oura', tooLong, now, day), { ok: false, reason: 'the link is valid for longer than allowed' }, 'expected the max age');
  assert.equal(verifyConnectLink(secret, 'oura', new URLSearchParams({ user: 'u', exp: '1' }), now, day), { ok: false, reason: 'the link needs user, exp and sig' }, 'expected the missing sig named');
});

test('state round-trips its claims and binds the vendor', () => {
  const nonce = newNonce();
  const state = signState(secret, { userId: 'user-42', vendor: 'whoop', nonce, expiresAtSeconds: now + 600 });
  assert.equal(verifyState(secret, 'whoop', state, now), { ok: true, claims: { userId: 'user-42', vendor: 'whoop', nonce, expiresAtSeconds: now + 600 } }, 'expected the claims back');
  assert.equal(verifyState(secret, 'oura', state, now), { ok: false, reason: 'wrong_vendor' }, 'expected a state for WHOOP refused at the Oura callback');
});

test('state expires after its lifetime and cannot be forged or re-signed with another secret', () => {
  const state = signState(secret, { userId: 'u', vendor: 'oura', nonce: 'n', expiresAtSeconds: now + 600 });
  assert.equal(verifyState(secret, 'oura', state, now + 600), { ok: false, reason: 'expired' }, 'expected expiry at the deadline');
  const [payload] = state.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ u: 'victim', v: 'oura', n: 'n', e: now + 600 })).toString('base64url');
  assert.equal(verifyState(secret, 'oura', `${forgedPayload}.${state.split('.')[1]}`, now), { ok: false, reason: 'forged' }, 'expected a changed payload refused');
  const other = signState('another-secret-that-is-also-32-characters', { userId: 'u', vendor: 'oura', nonce: 'n', expiresAtSeconds: now + 600 });
  assert.equal(verifyState(secret, 'oura', other, now), { ok: false, reason: 'forged' }, 'expected another secret refused');
  assert.equal(verifyState(secret, 'oura', `${payload}`, now), { ok: false, reason: 'forged' }, 'expected a state without MAC refused');
});

test('a link signature never passes as a state MAC', () => {
  const sig = createHmac('sha256', secret).update('x').digest('base64url');
  assert.equal(verifyState(secret, 'oura', `${Buffer.from('x').toString('base64url')}.${sig}`, now), { ok: false, reason: 'forged' }, 'expected separate keys per purpose');
});

test('PKCE: the verifier is RFC 7636 shaped, stable per nonce, and the challenge is its S256', () => {
  const verifier = pkceVerifier(secret, 'nonce-1');
  assert.match(verifier, /^[A-Za-z0-9_-]{43,128}$/, 'expected 43–128 unreserved characters');
  assert.is(pkceVerifier(secret, 'nonce-1'), verifier, 'expected the same verifier for the same nonce');
  assert.is.not(pkceVerifier(secret, 'nonce-2'), verifier, 'expected another verifier for another nonce');
  assert.is.not(pkceVerifier('another-secret-that-is-also-32-characters', 'nonce-1'), verifier, 'expected the secret to matter');
  assert.is(pkceChallenge(verifier), createHash('sha256').update(verifier).digest('base64url'), 'expected BASE64URL(SHA256(verifier))');
  // RFC 7636 appendix B's example pair.
  assert.is(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'expected the RFC example challenge');
});

test.run();
