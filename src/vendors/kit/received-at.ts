/** The header ingress stamps with the time it received a request (epoch ms), which every copy of the record keeps. */
export const receivedAtHeader = 'received-at';

/**
 * When the bridge first received a record: the `received-at` ingress stamps (epoch ms), which
 * replays and redrives keep; a record without it (Terra's destination messages, written by Terra)
 * falls back to its Kafka timestamp.
 */
export function receivedAtOf(headers: Readonly<Record<string, string>>, timestamp: number): number {
  const header = headers[receivedAtHeader];
  const parsed = header === undefined ? NaN : Number(header);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : timestamp;
}
