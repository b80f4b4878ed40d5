import { isObject, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { BodyError, decodeBody } from '../vendors/kit/body.ts';
import { RecordError } from '../streams/errors.ts';
import { withingsApi, type WithingsApi, type WithingsDays, type WithingsWindow } from '../vendors/withings/api.ts';
import type { BackfillWindow, VendorHydrator } from './vendor-hydrator.ts';

/** Withings `appli` categories the stage fetches, and the call that serves each. */
const calls: Readonly<Record<string, (api: WithingsApi, window: WithingsWindow) => Promise<JsonObject>>> = {
  '1': (api, window) => api.measures(window), // weight and body composition
  '4': (api, window) => api.measures(window), // blood pressure and heart rate
  '16': (api, window) => api.activity(window),
  '44': (api, window) => api.sleepSummaries(window),
};

/** A backfill's call of each category: measures by the window's instants, sleep and activity by its days. */
const backfillCalls: Readonly<Record<'1' | '44' | '16', (api: WithingsApi, window: WithingsWindow, days: WithingsDays) => Promise<JsonObject>>> = {
  '1': (api, window) => api.measures(window),
  '44': (api, _window, days) => api.sleepSummariesOfDays(days),
  '16': (api, _window, days) => api.activityOfDays(days),
};

const unixSeconds = (day: string) => String(Date.parse(`${day}T00:00:00Z`) / 1000);

/** A backfill window (end excluded) as Withings' days, whose `enddateymd` is included: its last day. */
function withingsDays({ startDate, endDate }: BackfillWindow): WithingsDays {
  return { startdateymd: startDate, enddateymd: new Date(Date.parse(`${endDate}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10) };
}

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
  // The window's three categories (measures, sleep, activity), each value as a notification of the
  // window would have hydrated it. Sleep and activity ask for the window's days only: their live
  // form, `lastupdate` = the window's start, returns everything changed since then, so each week of
  // a backfill would fetch every later week again.
  async backfill(window, get, vendorUserId) {
    const notified = { startdate: unixSeconds(window.startDate), enddate: unixSeconds(window.endDate) };
    const [api, days] = [withingsApi(get), withingsDays(window)];
    const values: JsonObject[] = [];
    for (const appli of ['1', '44', '16'] as const) {
      values.push({ user_id: vendorUserId, appli, ...notified, document: await backfillCalls[appli](api, notified, days) });
    }
    return values;
  },
};
