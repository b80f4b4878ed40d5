import { fromBase64 } from '../kit/verify-hmac.ts';
import { epochMsFromMs } from '../kit/verify-timestamp.ts';
import { timestampedHmac } from '../kit/verify-timestamped-hmac.ts';

/**
 * WHOOP developer API (webhook model v2): `X-WHOOP-Signature` = base64 HMAC-SHA256 (key: client
 * secret) over `X-WHOOP-Signature-Timestamp` (unix ms) + raw body, no separator. The Partner
 * API's different scheme is not ours.
 */
export const whoopSignature = timestampedHmac({
  signatureHeader: 'x-whoop-signature',
  timestampHeader: 'x-whoop-signature-timestamp',
  parseTimestamp: epochMsFromMs,
  separator: '',
  decodeSignature: fromBase64,
});
