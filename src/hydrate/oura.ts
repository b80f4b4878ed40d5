import { objectBody, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { ouraApi } from '../vendors/oura/api.ts';
import { deletion, type VendorHydrator } from './vendor-hydrator.ts';

export interface OuraFetch {
  readonly dataType: string;
  readonly objectId: string;
}

/**
 * Oura notifications `{event_type, data_type, object_id, event_time, user_id}` → the document
 * (`GET /v2/usercollection/<data_type>/<object_id>`). A `daily_sleep` document holds the score but
 * no HRV, which Oura keeps on the night's sleep periods, so those of the same day are fetched too.
 * Hydrated value: `{user_id, data_type, documents: {<data_type>: [doc], sleep?: [periods]}}`
 * (Oura documents do not name their user). `delete` → a deletion record.
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
    if (stringAt(notification, 'event_type') === 'delete') return [{ kind: 'delete', vendorUserId, value: deletion(vendorUserId, dataType, objectId) }];
    return [{ kind: 'fetch', vendorUserId, what: { dataType, objectId } }];
  },
  async fetch({ dataType, objectId }, get, vendorUserId) {
    const api = ouraApi(get);
    const document = await api.document(dataType, objectId);
    const documents: Record<string, JsonObject[]> = { [dataType]: [document] };
    const day = stringAt(document, 'day');
    if (dataType === 'daily_sleep' && day !== undefined) {
      documents['sleep'] = (await api.documentsOfDay('sleep', day)).filter((period) => stringAt(period, 'day') === day);
    }
    return { user_id: vendorUserId, data_type: dataType, documents };
  },
  // The scored daily documents of the window; a daily_sleep gets its day's sleep periods as `fetch` gives them.
  async backfill({ startDate, endDate }, get, vendorUserId) {
    const api = ouraApi(get);
    const periods = await api.documentsBetween('sleep', startDate, endDate);
    const values: JsonObject[] = [];
    for (const dataType of backfilledTypes) {
      for (const document of await api.documentsBetween(dataType, startDate, endDate)) {
        const day = stringAt(document, 'day');
        const documents: Record<string, JsonObject[]> = { [dataType]: [document] };
        if (dataType === 'daily_sleep' && day !== undefined) documents['sleep'] = periods.filter((period) => stringAt(period, 'day') === day);
        values.push({ user_id: vendorUserId, data_type: dataType, documents });
      }
    }
    return values;
  },
};

/** What a backfill lists: the daily documents normalize maps (src/vendors/oura/mapping.ts). */
const backfilledTypes = ['daily_sleep', 'daily_readiness'] as const;
