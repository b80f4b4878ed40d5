import { RecordError } from '../streams/errors.ts';
import type { JsonObject } from '../vendors/kit/payload-fields.ts';

/** The dead-letter reason of a notification whose hydrated value no record of hydrated.<vendor> can hold. */
export const recordTooLarge = 'record_too_large';

/** Splits a value too large for one record into values that each normalize on their own. */
export type SplitValue = (value: JsonObject, maxBytes: number) => JsonObject[];

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * `value` as several values, each the same object with a run of `field`'s items in order, each
 * at most `maxBytes` of JSON when its items allow (an item larger than that goes alone). Together
 * they hold every item once. A value whose `field` is no list is returned as it is.
 */
export function splitList(value: JsonObject, field: string, maxBytes: number): JsonObject[] {
  const items = value[field];
  if (!Array.isArray(items)) return [value];
  // JSON.stringify writes no spaces: a part is the empty list's bytes, its items' and a comma between two.
  const emptyBytes = jsonBytes({ ...value, [field]: [] });
  const parts: JsonObject[] = [];
  let run: unknown[] = [];
  let bytes = emptyBytes;
  for (const item of items) {
    const itemBytes = jsonBytes(item);
    if (run.length > 0 && bytes + 1 + itemBytes > maxBytes) {
      parts.push({ ...value, [field]: run });
      run = [];
      bytes = emptyBytes;
    }
    bytes += (run.length > 0 ? 1 : 0) + itemBytes;
    run.push(item);
  }
  if (run.length > 0 || parts.length === 0) parts.push({ ...value, [field]: run });
  return parts;
}

/**
 * The JSON of `value` as the values of one record or more, each at most `maxBytes`
 * (INGRESS_MAX_BODY_BYTES: what the hydrated topics are sized to hold, src/topic-limits.ts). A
 * larger value is cut by `split`, the vendor's way to share its documents across records; one
 * that cannot be cut below `maxBytes` (no `split`, or one document alone too large) is the
 * RecordError `record_too_large`, so the notification waits in the dead letters for a larger
 * limit instead of being refused by the broker on every try.
 */
export function valuesWithin(vendor: string, value: JsonObject, maxBytes: number, split?: SplitValue): Buffer[] {
  const whole = Buffer.from(JSON.stringify(value));
  if (whole.length <= maxBytes) return [whole];
  const parts = split === undefined ? [whole] : split(value, maxBytes).map((part) => Buffer.from(JSON.stringify(part)));
  const largest = parts.reduce((most, part) => Math.max(most, part.length), 0);
  if (largest > maxBytes) {
    const what = split === undefined ? 'a value' : 'a document';
    throw new RecordError(recordTooLarge, `${vendor} answered ${what} of ${largest} bytes, more than a hydrated record holds (INGRESS_MAX_BODY_BYTES, ${maxBytes}); redrive once it and the topics' limits are raised`);
  }
  return parts;
}
