import type { IncomingHttpHeaders } from 'node:http';
import type { VendorEntry } from '../vendors/index.ts';

export interface Rejection {
  readonly status: 400 | 401 | 413 | 415;
  readonly reason: string;
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

/** Checks that need only the headers, in the order vendors see them answered. */
export function checkHeaders(
  vendor: VendorEntry,
  headers: IncomingHttpHeaders,
  maxBodyBytes: number,
): Rejection | undefined {
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBodyBytes) {
    return { status: 413, reason: `body larger than ${maxBodyBytes} bytes` };
  }
  const type = mediaType(headers['content-type']);
  if (type === undefined || !vendor.contentTypes.includes(type)) {
    return { status: 415, reason: `content type must be ${vendor.contentTypes.join(' or ')}` };
  }
  return undefined;
}

/**
 * The vendor's signature or auth header must be there (401), and once only: a header sent twice
 * with different values leaves open which one was signed (400).
 */
export function checkAuthHeaders(
  vendor: VendorEntry,
  distinct: Readonly<Record<string, readonly string[] | undefined>>,
): Rejection | undefined {
  for (const group of vendor.requiredHeaders) {
    if (!group.some((name) => (distinct[name]?.some((v) => v.trim() !== '') ?? false))) {
      return { status: 401, reason: `missing ${group.join(' or ')} header` };
    }
  }
  for (const name of [...vendor.requiredHeaders.flat(), ...vendor.forwardedHeaders, 'content-type']) {
    const values = distinct[name];
    if (values !== undefined && new Set(values.map((v) => v.trim())).size > 1) {
      return { status: 400, reason: `${name} header sent more than once with different values` };
    }
  }
  return undefined;
}
