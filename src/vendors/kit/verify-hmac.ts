import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacSha256(secret: string, ...parts: ReadonlyArray<string | Buffer>): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time for equal lengths; a length mismatch leaks only the length, which is public. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Hex of any case (Oura sends upper case); undefined when the text is not hex. */
export function fromHex(text: string): Buffer | undefined {
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Standard or URL-safe base64, padded or not; undefined when the text is not base64. */
export function fromBase64(text: string): Buffer | undefined {
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** True when `given` equals the MAC under any configured secret (rotation: new and old both pass). */
export function matchesAnySecret(
  secrets: readonly string[],
  given: Buffer,
  macFor: (secret: string) => Buffer,
): boolean {
  let matched = false;
  // No early exit: the time taken does not reveal which secret matched.
  for (const secret of secrets) matched = safeEqual(macFor(secret), given) || matched;
  return matched;
}
