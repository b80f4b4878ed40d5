import { rejected, type SignatureCheck } from './webhook.ts';

/** Clock skew allowed for timestamps in the future, in ms: senders' clocks drift, not by hours. */
export const futureSkewMs = 300_000; // five minutes

/**
 * Epoch ms from a header holding unix seconds or ms. Values below 10^12 are seconds: 10^12 ms is
 * 2001, 10^12 s is year 33 658. Used where a vendor's unit is not confirmed (Oura, Terra).
 */
export function epochMsFromSecondsOrMs(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value < 1e12 ? value * 1000 : value;
}

export function epochMsFromMs(text: string): number | undefined {
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/** Stale when older than the tolerance or further in the future than the skew allows. */
export function freshness(signedAtMs: number, nowMs: number, toleranceMs: number): SignatureCheck | undefined {
  const ageMs = nowMs - signedAtMs;
  if (ageMs > toleranceMs) return rejected('stale_timestamp', `signed ${Math.round(ageMs / 1000)} s ago; tolerance ${Math.round(toleranceMs / 1000)} s`);
  if (-ageMs > futureSkewMs) return rejected('stale_timestamp', `signed ${Math.round(-ageMs / 1000)} s in the future`);
  return undefined;
}
