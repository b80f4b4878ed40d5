import { fromHex } from '../kit/verify-hmac.ts';
import { epochMsFromSecondsOrMs } from '../kit/verify-timestamp.ts';
import { timestampedHmac } from '../kit/verify-timestamped-hmac.ts';

/**
 * Oura API v2: `x-oura-signature` = upper-case hex HMAC-SHA256 (key: client secret) over
 * `x-oura-timestamp` + raw body, no separator. Oura's example timestamp looks like unix seconds
 * but the unit is not stated, so both seconds and ms are read. Hex is compared as bytes, which
 * makes the comparison case-insensitive as Oura's docs ask.
 */
export const ouraSignature = timestampedHmac({
  signatureHeader: 'x-oura-signature',
  timestampHeader: 'x-oura-timestamp',
  parseTimestamp: epochMsFromSecondsOrMs,
  separator: '',
  decodeSignature: fromHex,
});
