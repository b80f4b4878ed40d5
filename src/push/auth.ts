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

/**
 * A token's user, or why it was refused; or, apart from both, that the key set (PUSH_JWKS_URL)
 * could not be fetched, so nothing can be said of the token: the client is to try again later,
 * not to get a new token.
 */
export type Verified =
  | { readonly ok: true; readonly userId: string; /** ms since epoch */ readonly expiresAt: number }
  | { readonly ok: false; readonly reason: RefusalReason; readonly unavailable?: false }
  | { readonly ok: false; readonly reason: 'keys-unavailable'; readonly unavailable: true };

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
        if (error instanceof KeySetUnavailable) return { ok: false, reason: 'keys-unavailable', unavailable: true };
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

/** The key set could not be fetched (refused, timed out, not 200, not a key set). */
class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

/**
 * The JWKS, with a failure to fetch it told apart from a token it has no key for: jose reports
 * both as errors (a refused connection even as a plain TypeError). A token that names no key of a
 * set fetched is a JWKSNoMatchingKey (or another specific JOSE error) and stays the token's fault;
 * a timeout, an invalid set, the generic JOSEError (not 200, not JSON) and anything else can only
 * have come from the fetch.
 */
function remoteKeySet(url: URL): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(url);
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      const fetchFailed = error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError) || error.code === errors.JOSEError.code;
      throw fetchFailed ? new KeySetUnavailable('the key set could not be fetched', { cause: error }) : error;
    }
  };
}

function verificationKeys(options: TokenVerifierOptions): ReadonlyArray<Uint8Array | JWTVerifyGetKey> {
  if (options.jwksUrl !== undefined) return [remoteKeySet(new URL(options.jwksUrl))];
  const secrets = options.secrets ?? [];
  if (secrets.length === 0) throw new Error('push needs PUSH_JWT_SECRETS (HS256, newest first) or PUSH_JWKS_URL to verify tokens');
  return secrets.map((secret) => new TextEncoder().encode(secret));
}
