import { createHash } from 'node:crypto';
import { fromHex, matchesAnySecret } from '../verify-hmac.ts';
import { accepted, header, rejected, type SignatureScheme } from '../webhook.ts';

/**
 * The raw-record header that stands for `Authorization`. Google Health sends our configured
 * secret verbatim in `Authorization` (no HMAC); ingress records only its SHA-256 so the bearer
 * secret never lands on a Kafka topic (raw, DLQ) that many people can read.
 */
export const authorizationDigestHeader = 'authorization-sha256';

export function authorizationDigest(authorization: string): string {
  return createHash('sha256').update(authorization.trim()).digest('hex');
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
  const matched = matchesAnySecret(secrets, given, (secret) => Buffer.from(authorizationDigest(secret), 'hex'));
  return matched ? accepted() : rejected('bad_signature', 'authorization matches no configured secret');
};
