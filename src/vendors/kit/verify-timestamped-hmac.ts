import { matchesAnySecret, hmacSha256 } from './verify-hmac.ts';
import { freshness } from './verify-timestamp.ts';
import { accepted, header, rejected, type SignatureScheme } from './webhook.ts';

export interface TimestampedHmacScheme {
  readonly signatureHeader: string;
  readonly timestampHeader: string;
  /** The timestamp header's text → epoch ms, or undefined when it is not a timestamp. */
  readonly parseTimestamp: (text: string) => number | undefined;
  /** What joins timestamp and body in the signed bytes ('' for Oura and WHOOP, '.' for ours). */
  readonly separator: string;
  /** The signature header's text → MAC bytes (hex, base64), or undefined when malformed. */
  readonly decodeSignature: (text: string) => Buffer | undefined;
}

/**
 * HMAC-SHA256 over `<timestamp><separator><raw body>`, the shape Oura, WHOOP and our HealthKit
 * uploads share. The signature is checked before the timestamp, so a forged request never learns
 * whether its timestamp would have passed.
 */
export function timestampedHmac(scheme: TimestampedHmacScheme): SignatureScheme {
  return (request, { secrets, nowMs, toleranceMs }) => {
    const signatureText = header(request.headers, scheme.signatureHeader);
    const timestampText = header(request.headers, scheme.timestampHeader);
    if (signatureText === undefined) return rejected('bad_signature', `missing or ambiguous ${scheme.signatureHeader}`);
    if (timestampText === undefined) return rejected('bad_signature', `missing or ambiguous ${scheme.timestampHeader}`);
    const given = scheme.decodeSignature(signatureText);
    if (given === undefined) return rejected('bad_signature', `${scheme.signatureHeader} is not in the expected encoding`);
    const signedAtMs = scheme.parseTimestamp(timestampText);
    if (signedAtMs === undefined) return rejected('bad_signature', `${scheme.timestampHeader} is not a unix timestamp`);
    if (secrets.length === 0) return rejected('bad_signature', 'no webhook secret configured for this vendor');
    const matched = matchesAnySecret(secrets, given, (secret) =>
      hmacSha256(secret, timestampText, scheme.separator, request.body),
    );
    if (!matched) return rejected('bad_signature', 'signature matches no configured secret');
    return freshness(signedAtMs, nowMs, toleranceMs) ?? accepted(signedAtMs);
  };
}
