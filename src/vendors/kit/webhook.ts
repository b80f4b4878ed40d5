/**
 * The shapes every vendor's signature check shares. A check is a pure function of the request
 * (headers + raw body bytes), the vendor's secrets and the clock, so it is unit-tested with
 * vectors and never touches Kafka or HTTP.
 */

/** Header names are matched case-insensitively; values may be strings or repeated values. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface SignedRequest {
  readonly headers: HeaderBag;
  /** The request body exactly as received: signatures are over these bytes, never re-serialized JSON. */
  readonly body: Buffer;
}

export interface SignatureOptions {
  /** Tried in order, so a new secret and the one it replaces both pass during rotation. */
  readonly secrets: readonly string[];
  readonly nowMs: number;
  /** How far a signed timestamp may lie in the past; vendors retry without re-signing. */
  readonly toleranceMs: number;
}

export type SignatureFailure = 'bad_signature' | 'stale_timestamp';

export type SignatureCheck =
  | { readonly ok: true; readonly signedAtMs?: number }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly detail: string };

export type SignatureScheme = (request: SignedRequest, options: SignatureOptions) => SignatureCheck;

export const accepted = (signedAtMs?: number): SignatureCheck =>
  signedAtMs === undefined ? { ok: true } : { ok: true, signedAtMs };

export const rejected = (reason: SignatureFailure, detail: string): SignatureCheck => ({ ok: false, reason, detail });

/**
 * One header's value, whatever the case of its name, trimmed. A header sent twice with different
 * values is ambiguous (which one was signed?), so it reads as absent; the same value twice is fine.
 */
export function header(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  // Runs several times for every record verify checks: no arrays, and a name of another length is
  // never lowercased.
  for (const key in headers) {
    if (key !== wanted && (key.length !== wanted.length || key.toLowerCase() !== wanted)) continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    const count = typeof raw === 'string' ? 1 : raw.length;
    for (let i = 0; i < count; i += 1) {
      const value = (typeof raw === 'string' ? raw : raw[i]!).trim();
      if (found !== undefined && found !== value) return undefined;
      found = value;
    }
  }
  return found === '' ? undefined : found;
}
