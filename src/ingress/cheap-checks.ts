import type { IncomingHttpHeaders } from 'node:http';
import { acceptsContentType, type VendorEntry } from '../vendors/index.ts';

export { mediaType } from '../vendors/kit/body.ts';

export interface Rejection {
  readonly status: 400 | 401 | 413 | 415;
  readonly reason: string;
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
  if (!acceptsContentType(vendor, headers['content-type'])) {
    return { status: 415, reason: `content type must be ${vendor.contentTypes.join(' or ')}` };
  }
  // The raw record keeps the body as sent and no encoding: a compressed one would be accepted
  // and then fail its signature check with nothing left to say it was compressed.
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return { status: 415, reason: `content encoding ${encoding} is not accepted: send the body uncompressed` };
  }
  return undefined;
}

/** The header names `checkAuthHeaders` reads, per vendor, in the order problems are reported. */
const checkedNames = new WeakMap<VendorEntry, readonly string[]>();

/**
 * The vendor's signature or auth header must be there (401), and once only: a header sent twice
 * with different values leaves open which one was signed (400). Reads `rawHeaders` (name, value,
 * name, value …) once rather than `headersDistinct`, which builds an array for every header.
 */
export function checkAuthHeaders(vendor: VendorEntry, rawHeaders: readonly string[]): Rejection | undefined {
  let names = checkedNames.get(vendor);
  if (names === undefined) {
    names = [...new Set([...vendor.requiredHeaders.flat(), ...vendor.forwardedHeaders, 'content-type'])];
    checkedNames.set(vendor, names);
  }
  const first = new Map<string, string>(); // checked name → its first value, trimmed
  const nonEmpty = new Set<string>();
  let repeated: Set<string> | undefined; // checked names sent again with another value
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!names.includes(name)) continue;
    const value = rawHeaders[i + 1]!.trim();
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, value);
    else if (earlier !== value) (repeated ??= new Set()).add(name);
    if (value !== '') nonEmpty.add(name);
  }
  for (const group of vendor.requiredHeaders) {
    if (!group.some((name) => nonEmpty.has(name))) return { status: 401, reason: `missing ${group.join(' or ')} header` };
  }
  const twice = repeated === undefined ? undefined : names.find((name) => repeated.has(name));
  if (twice !== undefined) return { status: 400, reason: `${twice} header sent more than once with different values` };
  return undefined;
}
