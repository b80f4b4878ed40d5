import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createTokenVerifier } from '../../../src/push/auth.ts';

const key = (secret: string) => new TextEncoder().encode(secret);

async function token(secret: string, claims: { sub?: string; expiresIn?: string; expiredAt?: number; neverExpires?: boolean; alg?: string } = {}): Promise<string> {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: claims.alg ?? 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.neverExpires === true) return jwt.sign(key(secret));
  if (claims.expiredAt !== undefined) jwt = jwt.setExpirationTime(claims.expiredAt);
  else jwt = jwt.setExpirationTime(claims.expiresIn ?? '1h');
  return jwt.sign(key(secret));
}

const verify = createTokenVerifier({ secrets: ['new-secret-of-enough-length', 'old-secret-of-enough-length'] });

test('a token signed with the new or the old secret names its user', async () => {
  const fresh = await verify(await token('new-secret-of-enough-length', { sub: 'user-1' }));
  const old = await verify(await token('old-secret-of-enough-length', { sub: 'user-2' }));
  assert.equal(fresh.ok && fresh.userId, 'user-1', 'expected the sub of a token signed with the new secret');
  assert.equal(old.ok && old.userId, 'user-2', 'expected the old secret still accepted while rotating');
  assert.ok(fresh.ok && fresh.expiresAt !== undefined && fresh.expiresAt > Date.now(), 'expected the expiry in ms');
});

test('missing, foreign, expired, subject-less and non-HS256 tokens are refused with a reason', async () => {
  assert.equal(await verify(undefined), { ok: false, reason: 'missing' }, 'expected no token refused as missing');
  assert.equal(await verify('not.a.jwt'), { ok: false, reason: 'invalid' }, 'expected garbage refused as invalid');
  assert.equal(await verify(await token('someone-elses-secret-value', { sub: 'user-1' })), { ok: false, reason: 'invalid' }, 'expected a foreign signature refused');
  const past = Math.floor(Date.now() / 1_000) - 60;
  assert.equal(await verify(await token('old-secret-of-enough-length', { sub: 'user-1', expiredAt: past })), { ok: false, reason: 'expired' }, 'expected an expired token refused as expired');
  assert.equal(await verify(await token('new-secret-of-enough-length')), { ok: false, reason: 'invalid' }, 'expected a token without sub refused');
  assert.equal(await verify(await token('new-secret-of-enough-length', { sub: 'user-1', alg: 'HS512' })), { ok: false, reason: 'invalid' }, 'expected only HS256 accepted');
});

test('a token without exp is refused as never expiring when it is ours, and as invalid when it is not', async () => {
  assert.equal(await verify(await token('old-secret-of-enough-length', { sub: 'user-1', neverExpires: true })), { ok: false, reason: 'no-expiry' }, 'expected our token without exp refused, with that reason');
  assert.equal(await verify(await token('someone-elses-secret-value', { sub: 'user-1', neverExpires: true })), { ok: false, reason: 'invalid' }, 'expected a foreign token without exp refused as invalid');
});

test('a verifier without secrets or JWKS says which variables to set', () => {
  assert.throws(() => createTokenVerifier({}), /PUSH_JWT_SECRETS.*PUSH_JWKS_URL/, 'expected the variables named');
});

test('with a JWKS URL, tokens signed by a published key are accepted and the issuer is checked', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  // A real HTTP endpoint serving the key set, as an identity provider does.
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const viaJwks = createTokenVerifier({ jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: 'https://id.example' });
    const sign = (issuer: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('user-9').setIssuer(issuer).setExpirationTime('5m').sign(privateKey);
    const good = await viaJwks(await sign('https://id.example'));
    assert.equal(good.ok && good.userId, 'user-9', 'expected the sub of a token signed by the published key');
    assert.equal(await viaJwks(await sign('https://elsewhere.example')), { ok: false, reason: 'invalid' }, 'expected another issuer refused');
    assert.equal(await viaJwks(await token('new-secret-of-enough-length', { sub: 'user-9' })), { ok: false, reason: 'invalid' }, 'expected an HS256 token refused in JWKS mode');
  } finally {
    server.close();
  }
});

/** A JWKS endpoint on loopback that serves `keys`, answers 500 or never answers, as the test sets it. */
async function keySetServer(keys: object[]): Promise<{ url: string; mode: { value: 'serve' | 'fail' | 'hang' }; close(): Promise<void> }> {
  const mode = { value: 'serve' as 'serve' | 'fail' | 'hang' };
  const server = createServer((_req, res) => {
    if (mode.value === 'hang') return; // never answers
    res.writeHead(mode.value === 'serve' ? 200 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(mode.value === 'serve' ? { keys } : { error: 'down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    mode,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('a key set that cannot be fetched is told apart from a bad token: refused, 500, no answer', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const signed = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('user-9').setExpirationTime('5m').sign(privateKey);
  const unavailable = { ok: false, reason: 'keys-unavailable', unavailable: true };
  const keySet = await keySetServer([jwk]);
  try {
    keySet.mode.value = 'fail';
    assert.equal(await createTokenVerifier({ jwksUrl: keySet.url })(signed), unavailable, 'expected a 500 from the JWKS reported as unavailable, not as an invalid token');
    keySet.mode.value = 'hang';
    assert.equal(await createTokenVerifier({ jwksUrl: keySet.url })(signed), unavailable, 'expected a JWKS that does not answer (jose waits 5 s) reported as unavailable');
    keySet.mode.value = 'serve';
    const verify = createTokenVerifier({ jwksUrl: keySet.url });
    const good = await verify(signed);
    assert.equal(good.ok && good.userId, 'user-9', 'expected the token accepted while the JWKS answers');
    const otherKid = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k2' }).setSubject('user-9').setExpirationTime('5m').sign(privateKey);
    assert.equal(await verify(otherKid), { ok: false, reason: 'invalid' }, 'expected a key id the fetched set lacks to stay an invalid token');
  } finally {
    await keySet.close();
  }
  // Gone: the connection is refused (fetch rejects with a plain TypeError, which was rethrown).
  assert.equal(await createTokenVerifier({ jwksUrl: keySet.url })(signed), unavailable, 'expected a JWKS that refuses connections reported as unavailable');
});

test.run();
