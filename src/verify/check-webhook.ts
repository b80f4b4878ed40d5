import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { VendorId } from '../config/schema.ts';
import { RecordError } from '../streams/errors.ts';
import { BodyError, decodeBody } from '../vendors/body.ts';
import { header, type HeaderBag } from '../vendors/webhook.ts';
import { vendors, type VendorEntry } from '../vendors/index.ts';
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
  return Object.values(vendors).find((vendor) => vendor.rawTopic === topic);
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
  const contentType = header(headers, 'content-type') ?? '';
  let decoded: unknown;
  try {
    decoded = decodeBody(contentType.includes('json') ? 'json' : vendor.bodyFormat, body);
  } catch (error) {
    if (error instanceof BodyError) throw new RecordError('malformed_body', error.detail, { cause: error });
    throw error;
  }
  const userIds = vendor.userIds(decoded);
  const first = userIds[0];
  if (first === undefined) throw new RecordError('missing_user', `no ${vendor.id} user id in the body`);
  const deliveryId = vendor.deliveryId({ headers, body }, decoded) ?? `body-sha256:${createHash('sha256').update(body).digest('hex')}`;
  return { vendor: vendor.id, key: `${vendor.id}:${first}`, userIds, deliveryId };
}
