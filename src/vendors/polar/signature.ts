import { fromHex, hmacSha256, matchesAnySecret } from '../kit/verify-hmac.ts';
import { accepted, header, rejected, type SignatureScheme } from '../kit/webhook.ts';

/**
 * Polar AccessLink: `Polar-Webhook-Signature` = HMAC-SHA256 of the raw body with the webhook's
 * `signature_secret_key` (shown once, at `POST /v3/webhooks`). Hex as in the open-source
 * AccessLink clients; Polar's text does not name the encoding. No timestamp is signed, so the
 * replay guard (on the signature) is the only replay defence.
 */
export const polarSignature: SignatureScheme = (request, { secrets }) => {
  const text = header(request.headers, 'polar-webhook-signature');
  if (text === undefined) return rejected('bad_signature', 'missing or ambiguous polar-webhook-signature');
  const given = fromHex(text);
  if (given === undefined) return rejected('bad_signature', 'polar-webhook-signature is not hex');
  if (secrets.length === 0) return rejected('bad_signature', 'no webhook secret configured for this vendor');
  const matched = matchesAnySecret(secrets, given, (secret) => hmacSha256(secret, request.body));
  return matched ? accepted() : rejected('bad_signature', 'signature matches no configured secret');
};
