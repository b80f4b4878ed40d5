import type { HandshakeAnswer, HandshakeSettings } from '../vendors/kit/handshake.ts';
import type { VendorEntry } from '../vendors/index.ts';

export type { HandshakeAnswer, HandshakeSettings } from '../vendors/kit/handshake.ts';

/** The vendor's GET handshake, when it has one; undefined: the GET is not a handshake. */
export function getHandshake(vendor: VendorEntry, query: URLSearchParams, settings: HandshakeSettings): HandshakeAnswer | undefined {
  return vendor.answerGet?.(query, settings);
}

/**
 * POST handshakes answered without Kafka, as the vendor's plugin defines them: Polar's PING (sent
 * before we know the webhook's secret, so it cannot be verified and must not go downstream) and
 * Google Health's two verification POSTs (201 with our Authorization, 401 without). Undefined: an
 * ordinary delivery.
 */
export function postHandshake(
  vendor: VendorEntry,
  authorization: string | undefined,
  body: Buffer,
  settings: HandshakeSettings,
): HandshakeAnswer | undefined {
  return vendor.answerPost?.({ authorization, body }, settings);
}
