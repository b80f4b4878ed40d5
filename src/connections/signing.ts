import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { VendorId } from '../config/schema.ts';

/**
 * Connect links and OAuth `state`, both HMAC-SHA256 under CONNECT_LINK_SECRET. Each use has its
 * own derived key, so a link signature can never pass as a state signature or the reverse.
 */

function derivedKey(secret: string, purpose: 'link' | 'state' | 'pkce'): Buffer {
  return createHmac('sha256', secret).update(`biometric-bridge ${purpose}`).digest();
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What an app backend signs: `hex(HMAC-SHA256(CONNECT_LINK_SECRET, "<vendor>\n<user>\n<exp>"))`. */
export function connectLinkSignature(secret: string, vendor: string, userId: string, expiresAtSeconds: number): string {
  return createHmac('sha256', secret).update(`${vendor}\n${userId}\n${expiresAtSeconds}`).digest('hex');
}

export interface ConnectLinkQuery {
  readonly user: string;
  readonly exp: number;
  readonly sig: string;
}

/** The query string of a connect link for `vendor`, valid until `expiresAtSeconds` (unix). */
export function signConnectLink(secret: string, vendor: VendorId, userId: string, expiresAtSeconds: number): string {
  const sig = connectLinkSignature(secret, vendor, userId, expiresAtSeconds);
  return new URLSearchParams({ user: userId, exp: String(expiresAtSeconds), sig }).toString();
}

export type LinkCheck = { readonly ok: true; readonly userId: string } | { readonly ok: false; readonly reason: string };

export function verifyConnectLink(
  secret: string,
  vendor: VendorId,
  query: URLSearchParams,
  nowSeconds: number,
  maxAgeSeconds: number,
): LinkCheck {
  const user = query.get('user');
  const exp = query.get('exp');
  const sig = query.get('sig');
  if (!user || !exp || !sig) return { ok: false, reason: 'the link needs user, exp and sig' };
  if (!/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'exp must be unix seconds' };
  const expiresAt = Number(exp);
  if (!sameText(connectLinkSignature(secret, vendor, user, expiresAt), sig.toLowerCase())) {
    return { ok: false, reason: 'the link signature does not match' };
  }
  if (expiresAt <= nowSeconds) return { ok: false, reason: 'the link has expired; ask the app for a new one' };
  if (expiresAt - nowSeconds > maxAgeSeconds) return { ok: false, reason: 'the link is valid for longer than allowed' };
  return { ok: true, userId: user };
}

export interface StateClaims {
  readonly userId: string;
  readonly vendor: VendorId;
  /** Random per attempt; the PKCE verifier is derived from it, so nothing is stored between the legs. */
  readonly nonce: string;
  readonly expiresAtSeconds: number;
}

export const stateLifetimeSeconds = 600; // ten minutes: long enough to log in at the vendor

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** `<base64url JSON claims>.<base64url HMAC>`: opaque to the vendor, checked on the callback. */
export function signState(secret: string, claims: StateClaims): string {
  const payload = Buffer.from(JSON.stringify({ u: claims.userId, v: claims.vendor, n: claims.nonce, e: claims.expiresAtSeconds })).toString('base64url');
  const mac = createHmac('sha256', derivedKey(secret, 'state')).update(payload).digest('base64url');
  return `${payload}.${mac}`;
}

export type StateCheck = { readonly ok: true; readonly claims: StateClaims } | { readonly ok: false; readonly reason: 'forged' | 'expired' | 'wrong_vendor' };

export function verifyState(secret: string, vendor: VendorId, state: string, nowSeconds: number): StateCheck {
  const [payload, mac, extra] = state.split('.');
  if (!payload || !mac || extra !== undefined) return { ok: false, reason: 'forged' };
  const expected = createHmac('sha256', derivedKey(secret, 'state')).update(payload).digest('base64url');
  if (!sameText(expected, mac)) return { ok: false, reason: 'forged' };
  let claims: { u?: unknown; v?: unknown; n?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return { ok: false, reason: 'forged' };
  }
  if (typeof claims.u !== 'string' || typeof claims.v !== 'string' || typeof claims.n !== 'string' || typeof claims.e !== 'number') {
    return { ok: false, reason: 'forged' };
  }
  if (claims.v !== vendor) return { ok: false, reason: 'wrong_vendor' };
  if (claims.e <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { userId: claims.u, vendor, nonce: claims.n, expiresAtSeconds: claims.e } };
}

/**
 * RFC 7636 verifier for one attempt, derived from the state's nonce under the secret: the state
 * carries only the nonce (a reference), and only the bridge can turn it back into the verifier.
 */
export function pkceVerifier(secret: string, nonce: string): string {
  return createHmac('sha256', derivedKey(secret, 'pkce')).update(nonce).digest('base64url'); // 43 characters
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
