import type { Message } from 'kafkajs';
import type { VendorEntry } from '../vendors/index.ts';
import { receivedAtHeader } from '../vendors/kit/received-at.ts';

export interface ReceivedRequest {
  readonly requestId: string;
  readonly receivedAtMs: number;
  readonly sourceAddress: string | undefined;
  /** Each header's first value (firstHeaderValues). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/**
 * Each header's first value. A checked header sent twice is refused unless both values are the
 * same (checkAuthHeaders), and Node joins repeats into one value ("ABCD, ABCD"), which verify
 * would read as a signature that matches nothing, after the vendor had its 202.
 */
export function firstHeaderValues(distinct: NodeJS.Dict<string[]>): Record<string, string> {
  const first: Record<string, string> = {};
  for (const [name, values] of Object.entries(distinct)) if (values?.[0] !== undefined) first[name] = values[0];
  return first;
}

/**
 * The raw record of docs/design.md §2: the body byte for byte (but a credential an unsigned
 * vendor puts in it: the plugin's `recordedBody`), unkeyed (sticky partitioning), with the
 * headers verify needs. Header names are lower case (HTTP's are case-insensitive; Node lowers
 * them), values verbatim, except the ones the vendor's plugin redacts (a secret → its digest).
 */
export function rawMessage(vendor: VendorEntry, request: ReceivedRequest): Message {
  const headers: Record<string, string> = {
    'x-request-id': request.requestId,
    [receivedAtHeader]: String(request.receivedAtMs),
  };
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (request.sourceAddress !== undefined) headers['source-address'] = request.sourceAddress;
  for (const name of vendor.forwardedHeaders) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  for (const redaction of vendor.redactedHeaders) {
    const value = request.headers[redaction.header];
    if (typeof value === 'string') headers[redaction.as] = redaction.value(value);
  }
  return { key: null, value: vendor.recordedBody ? vendor.recordedBody(request.body) : request.body, headers, timestamp: String(request.receivedAtMs) };
}
