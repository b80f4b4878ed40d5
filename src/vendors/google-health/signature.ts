import { createHash } from 'node:crypto';
import { fromHex, matchesAnySecret } from '../kit/verify-hmac.ts';
import { accepted, header, rejected, type SignatureScheme } from '../kit/webhook.ts';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * The raw-record header that stands for `Authorization`. Google Health sends the subscriber's
 * configured secret as the whole `Authorization` value (no HMAC); ingress records only the SHA-256
 * of its credential so the secret never lands on a Kafka topic (raw, DLQ) that many people can read.
 */
export const authorizationDigestHeader = 'authorization-sha256';

/**
 * The credential an `Authorization` value or a configured secret carries: the token of
 * `Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive, RFC 9110 §11.1), else the whole
 * value. Google's `endpointAuthorization.secret` includes the scheme, so an operator may configure
 * either `<token>` or `Bearer <token>` and both match either form on the wire.
 */
export function bearerCredential(value: string): string {
  const trimmed = value.trim();
  const bearer = /^bearer[ \t]+(\S+)$/i.exec(trimmed);
  return bearer ? bearer[1]! : trimmed;
}

export function authorizationDigest(authorization: string): string {
  return sha256(bearerCredential(authorization)).toString('hex');
}

/**
 * True when a recorded digest stands for a configured secret: its credential, or the value as
 * configured (raw records written before ingress digested the credential alone).
 */
function digestMatches(digest: Buffer, secrets: readonly string[]): boolean {
  const values = new Set(secrets.flatMap((secret) => [bearerCredential(secret), secret.trim()]));
  return matchesAnySecret([...values], digest, sha256);
}

/**
 * Google Health API: deliveries carry the subscriber's `endpointAuthorization.secret` in
 * `Authorization`; compare in constant time against every configured secret (rotation).
 * Google also documents an ECDSA P-256 `X-HEALTHAPI-SIGNATURE` over the payload, but does not
 * publish the public key; ingress keeps that header verbatim for when it does.
 */
export const googleHealthSignature: SignatureScheme = (request, { secrets }) => {
  const text = header(request.headers, authorizationDigestHeader);
  if (text === undefined) return rejected('bad_signature', `missing or ambiguous ${authorizationDigestHeader}`);
  const given = fromHex(text);
  if (given === undefined) return rejected('bad_signature', `${authorizationDigestHeader} is not hex`);
  if (secrets.length === 0) return rejected('bad_signature', 'no webhook secret configured for this vendor');
  const matched = digestMatches(given, secrets);
  return matched ? accepted() : rejected('bad_signature', 'authorization matches no configured secret');
};

/** The verification POST's `Authorization` against the configured secrets, as deliveries are checked. */
export function authorizationMatches(authorization: string | undefined, secrets: readonly string[]): boolean {
  if (authorization === undefined || authorization.trim() === '' || secrets.length === 0) return false;
  return digestMatches(sha256(bearerCredential(authorization)), secrets);
}
