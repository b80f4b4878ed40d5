import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createTokenCipher, TokenCipherError, tokenKeyId } from '../../../src/connections/index.ts';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const secretToken = 'ya29.a0-access-token-value';

test('a token round-trips and its envelope does not contain it', () => {
  const cipher = createTokenCipher([oldKey]);
  const envelope = cipher.encrypt(secretToken, 'oura\nu1\naccess');
  assert.not.ok(envelope.includes(secretToken), 'expected the plaintext absent from the envelope');
  assert.ok(envelope.startsWith(`v1.${tokenKeyId(oldKey)}.`), 'expected the version and key id in front');
  assert.is(cipher.decrypt(envelope, 'oura\nu1\naccess'), secretToken, 'expected the same token back');
});

test('the same token encrypts differently each time (fresh IV)', () => {
  const cipher = createTokenCipher([oldKey]);
  assert.is.not(cipher.encrypt(secretToken, 'a'), cipher.encrypt(secretToken, 'a'), 'expected two different envelopes');
});

test('rotation: new,old decrypts old envelopes and encrypts with the new key', () => {
  const before = createTokenCipher([oldKey]).encrypt(secretToken, 'b');
  const rotated = createTokenCipher([newKey, oldKey]);
  assert.is(rotated.decrypt(before, 'b'), secretToken, 'expected the old envelope readable during rotation');
  assert.is(rotated.keyIdOf(rotated.encrypt(secretToken, 'b')), tokenKeyId(newKey), 'expected new envelopes under the first key');
  assert.is(rotated.currentKeyId, tokenKeyId(newKey), 'expected the first key current');
});

test('an envelope under a key no longer configured fails with the key id, not the token', () => {
  const envelope = createTokenCipher([oldKey]).encrypt(secretToken, 'c');
  const error = (() => {
    try {
      createTokenCipher([newKey]).decrypt(envelope, 'c');
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  assert.instance(error, TokenCipherError, 'expected a TokenCipherError');
  assert.match(error!.message, tokenKeyId(oldKey), 'expected the missing key id named');
  assert.not.match(error!.message, secretToken, 'expected no token in the message');
});

test('an envelope moved to another row or column does not decrypt', () => {
  const cipher = createTokenCipher([oldKey]);
  const envelope = cipher.encrypt(secretToken, 'oura\nuser-a\naccess');
  assert.throws(() => cipher.decrypt(envelope, 'oura\nuser-b\naccess'), /failed authentication/, 'expected another row to be refused');
  assert.throws(() => cipher.decrypt(envelope, 'oura\nuser-a\nrefresh'), /failed authentication/, 'expected another column to be refused');
});

test('a tampered envelope is refused', () => {
  const cipher = createTokenCipher([oldKey]);
  const parts = cipher.encrypt(secretToken, 'd').split('.');
  const data = Buffer.from(parts[4]!, 'base64url');
  data[0] = data[0]! ^ 1;
  parts[4] = data.toString('base64url');
  assert.throws(() => cipher.decrypt(parts.join('.'), 'd'), /failed authentication/, 'expected a flipped bit to be detected');
});

test('keys must be present and 32 bytes', () => {
  assert.throws(() => createTokenCipher([]), /TOKEN_ENCRYPTION_KEYS is empty/, 'expected an empty key list refused');
  assert.throws(() => createTokenCipher([randomBytes(16)]), /key 1 is 16 bytes, not 32/, 'expected a short key refused');
});

test.run();
