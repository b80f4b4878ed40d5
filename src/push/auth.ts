import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

export interface TokenVerifierOptions {
  /** HS256 secrets, newest first; a token signed with any of them is accepted (rotation). */
  readonly secrets?: readonly string[];
  /** A JWKS endpoint (asymmetric keys, rotated by the issuer); used instead of the secrets. */
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Why a token was refused; the reason is shown to the client and counted, never the token. */
export type RefusalReason = 'missing' | 'expired' | 'no-expiry' | 'invalid';

export type Verified = { readonly ok: true; readonly userId: string; /** ms since epoch */ readonly expiresAt: number } | { readonly ok: false; readonly reason: RefusalReason };

export type TokenVerifier = (token: string | undefined) => Promise<Verified>;

/**
 * Verifies a user's bearer JWT. The `sub` claim is our user id, so the token alone decides whose
 * events a connection may see. `exp` is required: a stream ends when its token does, so a token
 * without one would stream for ever, even after its secret is removed from the rotation.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys = verificationKeys(options);
  // Secrets are only ever HS256; a JWKS names its own algorithms per key.
  const claims = { issuer: options.issuer, audience: options.audience, algorithms: options.jwksUrl === undefined ? ['HS256'] : undefined, requiredClaims: ['exp'] };
  return async (token) => {
    if (token === undefined || token === '') return { ok: false, reason: 'missing' };
    let expired = false;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(token, key, claims);
        if (typeof payload.sub !== 'string' || payload.sub === '') return { ok: false, reason: 'invalid' };
        return { ok: true, userId: payload.sub, expiresAt: payload.exp! * 1_000 }; // present: requiredClaims
      } catch (error) {
        // Only a signature that matches proves the token is ours and merely old, or never expiring
        // (claims are checked after the signature).
        if (error instanceof errors.JWTExpired) expired = true;
        else if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing') return { ok: false, reason: 'no-expiry' };
        else if (!(error instanceof errors.JOSEError)) throw error;
      }
    }
    return { ok: false, reason: expired ? 'expired' : 'invalid' };
  };
}

function verificationKeys(options: TokenVerifierOptions): ReadonlyArray<Uint8Array | JWTVerifyGetKey> {
  if (options.jwksUrl !== undefined) return [createRemoteJWKSet(new URL(options.jwksUrl))];
  const secrets = options.secrets ?? [];
  if (secrets.length === 0) throw new Error('push needs PUSH_JWT_SECRETS (HS256, newest first) or PUSH_JWKS_URL to verify tokens');
  return secrets.map((secret) => new TextEncoder().encode(secret));
}
