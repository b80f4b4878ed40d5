import { isObject, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { BodyError, decodeBody } from '../vendors/kit/body.ts';
import { RecordError } from '../streams/errors.ts';
import { withingsApi, type WithingsApi, type WithingsWindow } from '../vendors/withings/api.ts';
import type { VendorHydrator } from './vendor-hydrator.ts';

/** Withings `appli` categories the stage fetches, and the call that serves each. */
const calls: Readonly<Record<string, (api: WithingsApi, window: WithingsWindow) => Promise<JsonObject>>> = {
  '1': (api, window) => api.measures(window), // weight and body composition
  '4': (api, window) => api.measures(window), // blood pressure and heart rate
  '16': (api, window) => api.activity(window),
  '44': (api, window) => api.sleepSummaries(window),
};

export interface WithingsFetch extends WithingsWindow {
  readonly appli: string;
}

function fields(body: Buffer | null): JsonObject {
  try {
    // Withings posts form-urlencoded; JSON is accepted because ingress lets it through too.
    const decoded = decodeBody(body?.[0] === 0x7b ? 'json' : 'form', body ?? Buffer.alloc(0));
    if (!isObject(decoded)) throw new RecordError('malformed_body', 'withings body is JSON but not an object');
    return decoded;
  } catch (error) {
    if (error instanceof BodyError) throw new RecordError(error.reason, `withings ${error.detail}`, { cause: error });
    throw error;
  }
}

/**
 * Withings notifications `userid, appli, startdate, enddate` say that data of a category changed
 * in a window → the category's call for that window. Value: `{user_id, appli, startdate, enddate,
 * document: <the answer's body>}`. Categories without data to fetch are dead letters
 * `unsupported_notification`, visible rather than dropped.
 */
export const withingsHydrator: VendorHydrator<WithingsFetch> = {
  vendor: 'withings',
  read(body) {
    const form = fields(body);
    const vendorUserId = stringAt(form, 'userid');
    const appli = stringAt(form, 'appli');
    const startdate = stringAt(form, 'startdate');
    const enddate = stringAt(form, 'enddate') ?? startdate;
    if (vendorUserId === undefined || appli === undefined || startdate === undefined || enddate === undefined) {
      throw new RecordError('malformed_notification', 'withings notification lacks userid, appli or startdate');
    }
    if (calls[appli] === undefined) throw new RecordError('unsupported_notification', `withings appli ${appli.slice(0, 8)} is not one the bridge hydrates`);
    return [{ kind: 'fetch', vendorUserId, what: { appli, startdate, enddate } }];
  },
  async fetch(what, get, vendorUserId) {
    const document = await calls[what.appli]!(withingsApi(get), what);
    return { user_id: vendorUserId, appli: what.appli, startdate: what.startdate, enddate: what.enddate, document };
  },
  // The window as a notification of each category would name it: measures, sleep, activity.
  async backfill({ startDate, endDate }, get, vendorUserId) {
    const seconds = (day: string) => String(Date.parse(`${day}T00:00:00Z`) / 1000);
    const window = { startdate: seconds(startDate), enddate: seconds(endDate) };
    const values: JsonObject[] = [];
    for (const appli of ['1', '44', '16']) values.push(await this.fetch({ appli, ...window }, get, vendorUserId));
    return values;
  },
};
