import { fromHex, hmacSha256, matchesAnySecret } from '../kit/verify-hmac.ts';
import { epochMsFromSecondsOrMs, freshness } from '../kit/verify-timestamp.ts';
import { accepted, header, rejected, type SignatureScheme, type SignedRequest } from '../kit/webhook.ts';

/** Newer deliveries send `X-Terra-Signature` and keep `terra-signature` as a duplicate. */
export const terraSignatureHeaders = ['x-terra-signature', 'terra-signature'] as const;

export function terraSignatureHeader(request: SignedRequest): string | undefined {
  for (const name of terraSignatureHeaders) {
    const value = header(request.headers, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Terra: `t=<timestamp>,v1=<hex>` where v1 = HMAC-SHA256 (key: the dashboard's signing secret,
 * not the API key) over `<t>.<raw body>`. Terra's webhook guide states t in unix seconds while its
 * Diagnostics example compares it in ms, so both are read. Several v1 entries may appear while
 * Terra rotates its side; any one matching passes.
 */
export const terraSignature: SignatureScheme = (request, { secrets, nowMs, toleranceMs }) => {
  const text = terraSignatureHeader(request);
  if (text === undefined) return rejected('bad_signature', 'missing or ambiguous terra-signature');
  const fields = text.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
  const timestamp = fields.find(([name]) => name === 't')?.[1]?.trim();
  const signatures = fields.filter(([name]) => name === 'v1').map(([, value]) => fromHex(value?.trim() ?? ''));
  if (timestamp === undefined || signatures.length === 0) return rejected('bad_signature', 'terra-signature lacks t= or v1=');
  const signedAtMs = epochMsFromSecondsOrMs(timestamp);
  if (signedAtMs === undefined) return rejected('bad_signature', 'terra-signature t= is not a unix timestamp');
  if (secrets.length === 0) return rejected('bad_signature', 'no webhook secret configured for this vendor');
  const matched = signatures.some(
    (given) => given !== undefined && matchesAnySecret(secrets, given, (secret) => hmacSha256(secret, timestamp, '.', request.body)),
  );
  if (!matched) return rejected('bad_signature', 'signature matches no configured secret');
  return freshness(signedAtMs, nowMs, toleranceMs) ?? accepted(signedAtMs);
};
