import { RecordError } from '../streams/errors.ts';
import { formatFor } from './kit/body.ts';
import { decodePayload } from './kit/decode-payload.ts';
import { receivedAtOf } from './kit/received-at.ts';
import { objectBody } from './kit/payload-fields.ts';
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


/** Decodes a body by the vendor's format for its declared content type, then maps it. */
export function mapPayload(vendor: Pick<VendorPlugin, 'id' | 'bodyFormats' | 'mapping'>, body: Buffer | null, contentType: string | undefined, context: MappingContext): MappingResult {
  return vendor.mapping.map(decodePayload(formatFor(vendor.bodyFormats, contentType), body, vendor.id), context);
}

/** The parts of a verified or hydrated record that mapping reads. */
export interface VendorRecord {
  readonly key: string | null;
  readonly topic: string;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export function normalizeVerified(record: VendorRecord): MappingResult {
  const vendor = vendors[vendorOf(record.key, record.topic)];
  return mapPayload(vendor, record.value, record.headers['content-type'], { receivedAt: receivedAtOf(record.headers, record.timestamp) });
}

/**
 * A deletion hydrate wrote (header `op: delete`) → the events that retract what the vendor
 * deleted, through the vendor's `mapDeletion`.
 */
export function normalizeDeletion(record: VendorRecord): MappingResult {
  const vendor = vendors[vendorOf(record.key, record.topic)];
  if (vendor.mapping.mapDeletion === undefined) {
    throw new RecordError('deletion_unsupported', `${vendor.id} deletions name no event the bridge can retract`);
  }
  const body = objectBody(decodePayload('json', record.value, vendor.id), vendor.id);
  return vendor.mapping.mapDeletion(body, { receivedAt: receivedAtOf(record.headers, record.timestamp) });
}

/** Hydrate marks a deletion with this header (docs/design.md §3). */
export function isDeletion(headers: Readonly<Record<string, string>>): boolean {
  return headers['op'] === 'delete';
}
