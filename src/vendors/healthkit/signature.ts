import { fromHex } from '../kit/verify-hmac.ts';
import { epochMsFromMs } from '../kit/verify-timestamp.ts';
import { timestampedHmac } from '../kit/verify-timestamped-hmac.ts';

/**
 * Our iOS app's uploads (HealthKit has no server webhooks): `x-bridge-signature` = hex
 * HMAC-SHA256 (key: per-app secret) over `<x-bridge-timestamp>.<raw body>`, timestamp in unix ms.
 */
export const healthkitSignature = timestampedHmac({
  signatureHeader: 'x-bridge-signature',
  timestampHeader: 'x-bridge-timestamp',
  parseTimestamp: epochMsFromMs,
  separator: '.',
  decodeSignature: fromHex,
});
