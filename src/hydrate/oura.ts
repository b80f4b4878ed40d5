import { objectBody, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { ouraApi } from '../vendors/oura/api.ts';
import { ouraMappedDataTypes } from '../vendors/oura/mapping.ts';
import { deletion, type VendorHydrator } from './vendor-hydrator.ts';

export interface OuraFetch {
  readonly dataType: string;
  readonly objectId: string;
}

/**
 * Oura notifications `{event_type, data_type, object_id, event_time, user_id}` → the document
 * (`GET /v2/usercollection/<data_type>/<object_id>`). Hydrated value: `{user_id, data_type,
 * documents: {<data_type>: [doc]}}` (Oura documents do not name their user). A night's HRV lives on
 * its sleep period, which its own `sleep` notification brings, so a `daily_sleep` needs nothing
 * more. `delete` → a deletion record.
 */
export const ouraHydrator: VendorHydrator<OuraFetch> = {
  vendor: 'oura',
  read(body) {
    const notification = objectBody(decodePayload('json', body, 'oura'), 'oura');
    const dataType = stringAt(notification, 'data_type');
    const objectId = stringAt(notification, 'object_id');
    if (dataType === undefined && objectId === undefined) return [{ kind: 'carries-data' }];
    const vendorUserId = stringAt(notification, 'user_id');
    if (dataType === undefined || objectId === undefined || vendorUserId === undefined) {
      throw new RecordError('malformed_notification', 'oura notification lacks data_type, object_id or user_id');
    }
    // Subscriptions made before a type lost its place (or by hand) still notify: no request, no
    // dead letter in normalize, no deletion of an event that was never written.
    if (!mapped.has(dataType)) return [{ kind: 'unmapped' }];
    if (stringAt(notification, 'event_type') === 'delete') return [{ kind: 'delete', vendorUserId, value: deletion(vendorUserId, dataType, objectId) }];
    return [{ kind: 'fetch', vendorUserId, what: { dataType, objectId } }];
  },
  async fetch({ dataType, objectId }, get, vendorUserId) {
    return envelope(vendorUserId, dataType, await ouraApi(get).document(dataType, objectId));
  },
  // Every document of the window of the types normalize maps (ouraMappedDataTypes), each as `fetch` makes it.
  async backfill({ startDate, endDate }, get, vendorUserId) {
    const api = ouraApi(get);
    const values: JsonObject[] = [];
    for (const dataType of ouraMappedDataTypes) {
      for (const document of await api.documentsBetween(dataType, startDate, endDate)) values.push(envelope(vendorUserId, dataType, document));
    }
    return values;
  },
};

const mapped: ReadonlySet<string> = new Set(ouraMappedDataTypes);

function envelope(vendorUserId: string, dataType: string, document: JsonObject): JsonObject {
  return { user_id: vendorUserId, data_type: dataType, documents: { [dataType]: [document] } };
}
