// Signed one-event HealthKit uploads for the benchmarks that go through the ingress: one user per
// event, so a row's user id and a routed record's key name the event they came from.
import { createHmac } from 'node:crypto';

export interface SignedUpload {
  readonly body: string;
  readonly headers: Record<string, string>;
}

const firstSample = Date.parse('2026-06-01T00:00:00Z');

/** The user of event `i` of a run: sortable, so a range on `user_id` selects the run. */
export function eventUser(prefix: string, i: number): string {
  return `${prefix}-${String(i).padStart(7, '0')}`;
}

/**
 * One HRV sample as our iOS app uploads it, signed once: a retry resends the same bytes and
 * headers, as a vendor's retry of one delivery does.
 */
export function healthkitUpload(prefix: string, i: number, secret: string, signedAtMs = Date.now()): SignedUpload {
  const user = eventUser(prefix, i);
  const at = new Date(firstSample + i * 1_000).toISOString();
  const body = JSON.stringify({
    user_id: user,
    device: 'Apple Watch Series 9',
    samples: [{ type: 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN', value: 20 + (i % 50), unit: 'ms', start: at, end: at, uuid: `${user}-hrv` }],
  });
  const timestamp = String(signedAtMs);
  const signature = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-bridge-timestamp': timestamp, 'x-bridge-signature': signature } };
}
