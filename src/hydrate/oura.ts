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
  // Every document of the window of the types normalize maps, each as `fetch` makes it: a
  // daily_sleep with its day's sleep periods, a sleep period alone. The periods are listed once.
  async backfill({ startDate, endDate }, get, vendorUserId) {
    const api = ouraApi(get);
    const periods = await api.documentsBetween('sleep', startDate, endDate);
    const envelope = (dataType: string, documents: Record<string, JsonObject[]>): JsonObject => ({ user_id: vendorUserId, data_type: dataType, documents });
    const values: JsonObject[] = [];
    for (const dataType of backfilledDailyTypes) {
      for (const document of await api.documentsBetween(dataType, startDate, endDate)) {
        const day = stringAt(document, 'day');
        const nights: Record<string, JsonObject[]> = dataType === 'daily_sleep' && day !== undefined ? { sleep: periods.filter((period) => stringAt(period, 'day') === day) } : {};
        values.push(envelope(dataType, { [dataType]: [document], ...nights }));
      }
    }
    for (const period of periods) values.push(envelope('sleep', { sleep: [period] }));
    return values;
  },
};

/**
 * The daily types a backfill lists besides `sleep`: those normalize maps (src/vendors/oura/mapping.ts).
 * workout, session and daily_spo2 are subscribed to but map to no event yet, so listing them
 * would only fill dlq.normalize.
 */
export const backfilledDailyTypes = ['daily_sleep', 'daily_readiness', 'daily_activity'] as const;
