import { vendorIds, type VendorId } from '../config/schema.ts';
import type { BiometricEvent } from '../events/index.ts';
import { RecordError } from '../streams/errors.ts';
import type { MappingResult, VendorMapping } from './vendor-mapping.ts';
import { parseJsonBody } from './payload-fields.ts';
import { isS3PayloadPointer, type TerraPayloadFetcher } from './terra-payload-fetch.ts';
import { mapTerraDocument } from '../vendors/terra/mapping.ts';

/** Which vendor a verified record came from: the key's `<vendor>:` prefix, else the topic's suffix. */
export function vendorOf(key: string | null, topic: string): VendorId {
  const fromKey = key === null ? undefined : key.slice(0, key.indexOf(':'));
  const fromTopic = topic.slice(topic.lastIndexOf('.') + 1);
  for (const candidate of [fromKey, fromTopic]) {
    if (candidate !== undefined && (vendorIds as readonly string[]).includes(candidate)) return candidate as VendorId;
  }
  throw new RecordError('unknown_vendor', `record on ${topic} has no vendor prefix in its key`);
}

/** Ingress stamps `received-at` (epoch ms); records without it fall back to their Kafka timestamp. */
export function receivedAtOf(headers: Readonly<Record<string, string>>, timestamp: number): number {
  const header = headers['received-at'];
  const parsed = header === undefined ? NaN : Number(header);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : timestamp;
}

export function normalizeVerified(
  mappings: Readonly<Record<VendorId, VendorMapping>>,
  record: { key: string | null; topic: string; value: Buffer | null; headers: Readonly<Record<string, string>>; timestamp: number },
): MappingResult {
  const vendor = vendorOf(record.key, record.topic);
  return mappings[vendor].map(record.value, { receivedAt: receivedAtOf(record.headers, record.timestamp) });
}

/**
 * One message of Terra's Kafka destination: a pointer to fetch (`s3_payload`) or the document
 * itself. `timestamp` is when Terra produced it; it both dates the URL's expiry and stands in for
 * `receivedAt`, since Terra's messages never pass through ingress.
 */
export async function normalizeTerraMessage(
  fetcher: TerraPayloadFetcher,
  record: { value: Buffer | null; timestamp: number },
): Promise<MappingResult> {
  const message = parseJsonBody(record.value, 'terra');
  const context = { receivedAt: record.timestamp };
  if (!isS3PayloadPointer(message)) return mapTerraDocument(message, context);
  if (message['status'] !== undefined && message['status'] !== 'success') {
    return { events: [], acknowledged: 'terra_s3_payload_not_success' };
  }
  return mapTerraDocument(await fetcher.fetchDocument(message, record.timestamp), context);
}

export type { BiometricEvent };
