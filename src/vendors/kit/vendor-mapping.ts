import { headlineFields, headlineValues, type BiometricEvent, type Headlines, type Reading, type Source } from '../../events/index.ts';
import { RecordError } from '../../streams/errors.ts';
import { eventIdFor } from './event-id.ts';
import { numberAt, stringAt, type JsonObject } from './payload-fields.ts';

export interface MappingContext {
  /** When the bridge received the record (ingress `received-at` header), epoch ms. */
  readonly receivedAt: number;
}

/**
 * What one input record became. Zero events with `acknowledged` set means the record was
 * understood and carries no biometrics (a Terra auth event, a Polar PING): counted, not an error.
 * Anything the bridge cannot turn into events is thrown as a RecordError instead.
 */
export interface MappingResult {
  readonly events: BiometricEvent[];
  /** Machine code of the non-data record, e.g. `terra_auth`, for the acknowledged counter. */
  readonly acknowledged?: string;
}

/**
 * Maps one verified record of one vendor; pure, so it is unit-tested with captured payloads. The
 * body arrives decoded by the vendor's body format (src/vendors/kit/body.ts), never as bytes.
 */
export interface VendorMapping {
  /** The Avro `Source` symbol of every event it writes. */
  readonly source: Source;
  map(body: unknown, context: MappingContext): MappingResult;
  /**
   * A deletion hydrate wrote (header `op: delete`, value `{user_id, deleted: {...}}`) → the
   * events it retracts, built with `deletionEvent` so they carry the eventIds `map` gave the
   * deleted record. Absent where the vendor sends no deletions.
   */
  mapDeletion?(deletion: JsonObject, context: MappingContext): MappingResult;
}

export interface EventDraft {
  readonly source: Source;
  readonly userId: string;
  readonly dataType: string;
  readonly occurredAt: number;
  /** The vendor's identity of the record (summary id, sample uuid, start+end): feeds eventId. */
  readonly identity: readonly (string | number)[];
  readonly deviceType?: string | undefined;
  readonly headlines?: Headlines;
  readonly readings?: readonly (Reading | undefined)[];
}

/**
 * The event of a draft. A time or value that is NaN or ±Infinity (a vendor number out of range,
 * a conversion or a sum that overflows) is refused as unmappable: Avro carries such doubles and
 * the sink's jsonb would store null in their place, so the measurement would vanish silently.
 */
export function buildEvent(draft: EventDraft, context: MappingContext): BiometricEvent {
  const headlines = headlineValues(draft.headlines ?? {}, null);
  const readings = (draft.readings ?? []).filter((r): r is Reading => r !== undefined);
  const eventName = `${draft.source.toLowerCase()} ${draft.dataType} event`;
  if (!Number.isFinite(draft.occurredAt)) unmappable(eventName, 'has no finite time');
  for (const field of headlineFields) {
    const value = headlines[field];
    if (value !== null && !Number.isFinite(value)) unmappable(eventName, `has a ${field} that is not a finite number`);
  }
  for (const reading of readings) {
    if (!Number.isFinite(reading.value)) unmappable(eventName, `has a ${reading.metric} reading that is not a finite number`);
  }
  return {
    eventId: eventIdFor([draft.source, draft.userId, draft.dataType, ...draft.identity]),
    userId: draft.userId,
    source: draft.source,
    dataType: draft.dataType,
    deviceType: draft.deviceType ?? null,
    occurredAt: draft.occurredAt,
    receivedAt: context.receivedAt,
    ...headlines,
    readings,
    op: 'UPSERT',
  };
}

/** What names a deleted record: the same source, vendor user, data type and identity `map` used. */
export type DeletionDraft = Pick<EventDraft, 'source' | 'userId' | 'dataType' | 'identity'>;

/**
 * The event that retracts a record: `buildEvent`'s eventId for the same identity, no values, `op:
 * DELETE`. The document is gone, so the deletion's own arrival time stands in for occurredAt.
 */
export function deletionEvent(draft: DeletionDraft, context: MappingContext): BiometricEvent {
  return {
    ...buildEvent({ ...draft, occurredAt: context.receivedAt }, context),
    op: 'DELETE',
  };
}

/** `{user_id, deleted: {type, id}}` as src/hydrate/vendor-hydrator.ts `deletion` writes it. */
export function deletedDocument(vendor: string, body: JsonObject): { readonly userId: string; readonly type: string; readonly id: string } {
  const userId = stringAt(body, 'user_id') ?? unmappable(vendor, 'deletion has no user_id');
  const type = stringAt(body, 'deleted', 'type') ?? unmappable(vendor, 'deletion has no deleted.type');
  const id = stringAt(body, 'deleted', 'id') ?? unmappable(vendor, 'deletion has no deleted.id');
  return { userId, type, id };
}

/** A reading from `root` at `path`, or undefined when the vendor left it out. */
export function readingAt(root: unknown, metric: string, unit: string, ...path: string[]): Reading | undefined {
  const value = numberAt(root, ...path);
  return value === undefined ? undefined : { metric, value, unit };
}

export function needsHydration(vendor: string, what: string): never {
  throw new RecordError(
    'needs_hydration',
    `${vendor} ${what} carries only ids; the data must be fetched from the vendor API, which normalize does not do yet`,
  );
}

export function unmappable(vendor: string, what: string): never {
  throw new RecordError('unmappable', `${vendor} ${what}`);
}
