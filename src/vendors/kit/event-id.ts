import { createHash } from 'node:crypto';

/** Fixed namespace of every bridge event id; changing it would re-key every event ever written. */
const namespace = Buffer.from('9d3f5a1e7c2b4e8a9f6d0b1c2a3e4f50', 'hex');

/**
 * Deterministic event id: a UUIDv5 (RFC 9562, SHA-1 name-based) over the parts that identify one
 * vendor record, so a replay or a duplicate delivery of that record yields the same id and
 * collapses downstream (the sink is idempotent on it).
 */
export function eventIdFor(parts: readonly (string | number)[]): string {
  const hash = createHash('sha1').update(namespace).update(parts.join('\u001f')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
