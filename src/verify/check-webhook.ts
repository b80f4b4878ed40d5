import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { RecordError } from '../streams/errors.ts';
import { formatFor } from '../vendors/kit/body.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { rawTopic } from '../vendors/kit/topic-names.ts';
import { header, type HeaderBag } from '../vendors/kit/webhook.ts';
import { vendorOfTopic, type VendorEntry, type VendorId } from '../vendors/index.ts';
import type { VendorSettings } from './verify-settings.ts';

/** What a raw webhook record proved about itself. */
export interface CheckedWebhook {
  readonly vendor: VendorId;
  /** `<vendor>:<vendor user id>`, the key of `verified.<vendor>`. */
  readonly key: string;
  readonly userIds: readonly string[];
  /** Stable across the vendor's retries; the replay guard remembers it. */
  readonly deliveryId: string;
}

export const verifyReasons = ['bad_signature', 'stale_timestamp', 'malformed_body', 'unknown_user', 'missing_user'] as const;
export type VerifyReason = (typeof verifyReasons)[number];

export function vendorOfRawTopic(topic: string): VendorEntry | undefined {
  return vendorOfTopic(topic, rawTopic);
}

/**
 * The pure part of verify, in the order that leaks least: authenticity (signature, timestamp,
 * source network) before the body is even parsed, then the body's user. Throws `RecordError`
 * with one of `verifyReasons`; the details name headers and limits, never users or readings.
 */
export function checkWebhook(vendor: VendorEntry, headers: HeaderBag, body: Buffer, settings: VendorSettings, nowMs: number): CheckedWebhook {
  const signature = vendor.signature({ headers, body }, { secrets: settings.secrets, nowMs, toleranceMs: settings.toleranceMs });
  if (!signature.ok) throw new RecordError(signature.reason, signature.detail);
  if (vendor.checksSourceNetwork && settings.sourceNetworks !== undefined) {
    const address = header(headers, 'source-address');
    const family = address === undefined ? 0 : isIP(address);
    if (address === undefined || family === 0 || !settings.sourceNetworks.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      throw new RecordError('bad_signature', 'source address outside the configured networks');
    }
  }
  const decoded = decodePayload(formatFor(vendor.bodyFormats, header(headers, 'content-type')), body, vendor.id);
  const userIds = vendor.userIds(decoded);
  const first = userIds[0];
  if (first === undefined) throw new RecordError('missing_user', `no ${vendor.id} user id in the body`);
  const deliveryId = vendor.deliveryId({ headers, body }, decoded) ?? `body-sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { vendor: vendor.id, key: `${vendor.id}:${first}`, userIds, deliveryId };
}
