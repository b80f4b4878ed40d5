/**
 * The one decoder of vendor bodies, used by verify (user and delivery ids), normalize (mapping),
 * Terra's destination and payload fetch, and ingress's handshakes. Every failure is a `BodyError`
 * with a reason the dead letter carries; nothing here throws anything else.
 */
import { isUtf8 } from 'node:buffer';

/** Deeper than any vendor payload; bounds the work a hostile body can cause. */
export const maxJsonDepth = 64;

export class BodyError extends Error {
  readonly reason = 'malformed_body';
  readonly detail: string;
  constructor(detail: string) {
    super(`malformed_body: ${detail}`);
    this.name = 'BodyError';
    this.detail = detail;
  }
}

export type BodyFormat = 'json' | 'form';

/** Media type → how a body of that type is decoded; the first entry is the vendor's usual one. */
export type BodyFormats = Readonly<Record<string, BodyFormat>>;


/** JSON values, or a form body as name → first value (Withings posts form-urlencoded). */
export function decodeBody(format: BodyFormat, bytes: Buffer): unknown {
  if (bytes.length === 0) throw new BodyError('empty body');
  // Validated apart from decoding: isUtf8 then toString costs a third of a fatal TextDecoder.
  if (!isUtf8(bytes)) throw new BodyError('body is not valid UTF-8');
  const text = bytes.toString('utf8');
  if (format === 'form') return Object.fromEntries(new URLSearchParams(text));
  // A body with no more brackets than the limit cannot nest deeper: counting them (a native
  // search) costs a quarter of the scan, and most webhook bodies have a handful.
  if (bracketsExceed(bytes, maxJsonDepth)) {
    const depth = jsonNestingDepth(text);
    if (depth > maxJsonDepth) throw new BodyError(`JSON nested ${depth} levels deep; limit ${maxJsonDepth}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the input, which may carry PHI: keep only the size.
    throw new BodyError(`body of ${bytes.length} bytes is not valid JSON`);
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

/**
 * The format a body is decoded with: the one its declared content type names, else the vendor's
 * usual one (records written without a content type, such as Terra's destination messages).
 */
export function formatFor(formats: BodyFormats, contentType: string | undefined): BodyFormat {
  const type = mediaType(contentType);
  const declared = type === undefined || !Object.hasOwn(formats, type) ? undefined : formats[type];
  return declared ?? Object.values(formats)[0] ?? 'json';
}

const openingBrackets = [0x7b, 0x5b] as const; // { [

/** Whether the bytes hold more than `limit` opening brackets (`{` or `[`), inside strings or not. */
function bracketsExceed(bytes: Buffer, limit: number): boolean {
  let seen = 0;
  for (const bracket of openingBrackets) {
    for (let at = bytes.indexOf(bracket); at !== -1; at = bytes.indexOf(bracket, at + 1)) {
      if (++seen > limit) return true;
    }
  }
  return false;
}

/** Bracket depth outside strings, found in one pass before parsing so a deep body costs O(n). */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A user id as text: non-empty strings, or integers that JSON kept exact. */
export function idText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** The user id at `path` of a decoded body, as a list of none or one. */
export function userIdAt(...path: string[]): (body: unknown) => readonly string[] {
  return (body) => {
    const id = idText(pick(body, ...path));
    return id === undefined ? [] : [id];
  };
}

/** Follows a path of property names; undefined as soon as one step is missing. */
export function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (!isRecord(current)) return undefined;
    current = current[name];
  }
  return current;
}
