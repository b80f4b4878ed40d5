import { RecordError } from '../streams/errors.ts';
import { formatFor } from './kit/body.ts';
import { decodePayload } from './kit/decode-payload.ts';
import type { VendorPlugin } from './kit/plugin.ts';
import type { MappingContext, MappingResult } from './kit/vendor-mapping.ts';
import { isVendorId, vendorOfTopic, vendors, type VendorEntry, type VendorId } from './index.ts';
import { verifiedTopic } from './kit/topic-names.ts';

/**
 * Which vendor a verified record came from: the key's `<vendor>:` prefix (verify writes it), else
 * the verified topic it was read from.
 */
export function vendorOf(key: string | null, topic: string): VendorId {
  const fromKey = key === null ? undefined : key.slice(0, key.indexOf(':'));
  if (fromKey !== undefined && isVendorId(fromKey)) return fromKey;
  const fromTopic = vendorOfTopic(topic, verifiedTopic);
  if (fromTopic !== undefined) return fromTopic.id;
  throw new RecordError('unknown_vendor', `record on ${topic} has no vendor prefix in its key`);
}

/** Ingress stamps `received-at` (epoch ms); records without it fall back to their Kafka timestamp. */
export function receivedAtOf(headers: Readonly<Record<string, string>>, timestamp: number): number {
  const header = headers['received-at'];
  const parsed = header === undefined ? NaN : Number(header);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : timestamp;
}

/** Decodes a body by the vendor's format for its declared content type, then maps it. */
export function mapPayload(vendor: Pick<VendorPlugin, 'id' | 'bodyFormats' | 'mapping'>, body: Buffer | null, contentType: string | undefined, context: MappingContext): MappingResult {
  return vendor.mapping.map(decodePayload(formatFor(vendor.bodyFormats, contentType), body, vendor.id), context);
}

export function normalizeVerified(record: {
  key: string | null;
  topic: string;
  value: Buffer | null;
  headers: Readonly<Record<string, string>>;
  timestamp: number;
}): MappingResult {
  const vendor = vendors[vendorOf(record.key, record.topic)];
  return mapPayload(vendor, record.value, record.headers['content-type'], { receivedAt: receivedAtOf(record.headers, record.timestamp) });
}
