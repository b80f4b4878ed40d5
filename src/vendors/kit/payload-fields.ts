import { RecordError } from '../../streams/errors.ts';

/**
 * Reading untrusted vendor JSON without a schema library on the hot path: each accessor either
 * returns a well-typed value or nothing, and the required ones raise a RecordError whose detail
 * names the field (never its value, which may be PHI).
 */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The nested object at `path`, or undefined when any step is missing or not an object. */
export function objectAt(root: unknown, ...path: string[]): JsonObject | undefined {
  let current: unknown = root;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return isObject(current) ? current : undefined;
}

/** A finite number at `path` (numeric strings accepted: some vendors quote numbers). */
export function numberAt(root: unknown, ...path: string[]): number | undefined {
  const parent = objectAt(root, ...path.slice(0, -1));
  const value = parent?.[path[path.length - 1]!];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A non-empty string at `path`; numeric ids (WHOOP, Garmin) are turned into strings. */
export function stringAt(root: unknown, ...path: string[]): string | undefined {
  const parent = objectAt(root, ...path.slice(0, -1));
  const value = parent?.[path[path.length - 1]!];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function arrayAt(root: unknown, ...path: string[]): unknown[] | undefined {
  const parent = objectAt(root, ...path.slice(0, -1));
  const value = parent?.[path[path.length - 1]!];
  return Array.isArray(value) ? value : undefined;
}

/**
 * A point in time as whole epoch ms from an ISO-8601 string or an epoch number. Numbers below 1e11
 * are seconds (1e11 s is the year 5138; 1e11 ms is 1973), so both vendor conventions work.
 * Fractions (`1736900000.123456` s) are rounded to the millisecond: the Avro timestamps are
 * longs, and one fractional time would fail the serialization of its whole batch.
 */
export function timeAt(root: unknown, ...path: string[]): number | undefined {
  const parent = objectAt(root, ...path.slice(0, -1));
  const value = parent?.[path[path.length - 1]!];
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = Math.round(value < 1e11 ? value * 1000 : value);
    return Number.isFinite(ms) ? ms : undefined; // -1e308 s is no time a double of ms can hold
  }
  if (typeof value === 'string' && value !== '') {
    if (/^\d+(\.\d+)?$/.test(value)) return timeAt({ t: Number(value) }, 't');
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

export function required<T>(value: T | undefined, vendor: string, what: string): T {
  if (value === undefined) throw new RecordError('unmappable', `${vendor} payload has no usable ${what}`);
  return value;
}

/** A decoded body that must be a JSON object; anything else is a malformed body, dead-lettered with that reason. */
export function objectBody(body: unknown, vendor: string): JsonObject {
  if (!isObject(body)) throw new RecordError('malformed_body', `${vendor} body is not an object`);
  return body;
}
