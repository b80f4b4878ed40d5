import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Tokens at rest: AES-256-GCM envelopes `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url). The key
 * id is derived from the key itself, so `TOKEN_ENCRYPTION_KEYS=new,old` needs no ids: new tokens
 * use the first key, old envelopes find theirs by id. The associated data binds an envelope to its
 * row and field, so a ciphertext copied to another connection or column does not decrypt.
 */
export interface TokenCipher {
  /** Id of the key new envelopes use. */
  readonly currentKeyId: string;
  encrypt(plaintext: string, associatedData: string): string;
  /** Throws TokenCipherError when the key is unknown or the envelope was tampered with. */
  decrypt(envelope: string, associatedData: string): string;
  keyIdOf(envelope: string): string;
}

export class TokenCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenCipherError';
  }
}

const version = 'v1';

export function tokenKeyId(key: Buffer): string {
  return createHash('sha256').update('biometric-bridge token key').update(key).digest('hex').slice(0, 12);
}

export function createTokenCipher(keys: readonly Buffer[]): TokenCipher {
  if (keys.length === 0) throw new TokenCipherError('TOKEN_ENCRYPTION_KEYS is empty: set at least one 32-byte key');
  for (const [index, key] of keys.entries()) {
    if (key.length !== 32) throw new TokenCipherError(`TOKEN_ENCRYPTION_KEYS key ${index + 1} is ${key.length} bytes, not 32`);
  }
  const byId = new Map(keys.map((key) => [tokenKeyId(key), key] as const));
  const current = keys[0]!;
  const currentKeyId = tokenKeyId(current);

  const parts = (envelope: string) => {
    const fields = envelope.split('.');
    if (fields.length !== 5 || fields[0] !== version) throw new TokenCipherError('not a token envelope');
    return { keyId: fields[1]!, iv: fields[2]!, tag: fields[3]!, data: fields[4]! };
  };

  return {
    currentKeyId,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(associatedData));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [version, currentKeyId, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
    },
    decrypt(envelope, associatedData) {
      const { keyId, iv, tag, data } = parts(envelope);
      const key = byId.get(keyId);
      if (key === undefined) throw new TokenCipherError(`token key ${keyId} is not in TOKEN_ENCRYPTION_KEYS`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(associatedData));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // node's message says nothing useful and nothing secret; ours says where to look.
        throw new TokenCipherError(`token envelope under key ${keyId} failed authentication (tampered, or bound to another row)`);
      }
    },
    keyIdOf(envelope) {
      return parts(envelope).keyId;
    },
  };
}
