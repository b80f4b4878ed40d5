import { DependencyUnavailableError, RecordError } from '../../streams/errors.ts';
import { objectAnswer, TokenRejectedError, type ApiGet, type JsonResponse } from '../kit/api-get.ts';
import { numberAt, objectAt, type JsonObject } from '../kit/payload-fields.ts';

/** Withings public API (https://developer.withings.com/api-reference); `WITHINGS_API_BASE_URL` overrides it. */
export const withingsApiBaseUrl = 'https://wbsapi.withings.net';

/**
 * Withings answers HTTP 200 and reports failures in `status` (0 = ok): authentication failures
 * (100–102, 200, 401) are a rejected token, 601 is its rate limit, 2554/2555 are its own
 * failures (retried); anything else is a refusal of this request.
 */
export function withingsStatus(answer: JsonResponse): JsonResponse {
  const status = numberAt(answer, 'status');
  if (status === 0) return answer;
  if (status === 100 || status === 101 || status === 102 || status === 200 || status === 401) throw new TokenRejectedError('withings');
  if (status === 601) throw new DependencyUnavailableError('withings-api', 60_000); // "too many requests": its window is a minute
  if (status === 2554 || status === 2555) throw new Error(`withings answered status ${status}`);
  throw new RecordError('vendor_refused', `withings answered status ${status ?? 'missing'}`);
}

/** The notification's window, Unix seconds, as Withings sends it (`startdate`, `enddate`). */
export interface WithingsWindow {
  readonly startdate: string;
  readonly enddate: string;
}

/**
 * Sleep v2 Getsummary and Measure v2 Getactivity return most of their fields only when
 * `data_fields` names them (API reference: "Use 'data_fields' to request this data"): the fields
 * normalize maps (src/vendors/withings/mapping.ts).
 */
const sleepFields = [
  'total_timeinbed', 'total_sleep_time', 'asleepduration', 'lightsleepduration', 'deepsleepduration', 'remsleepduration',
  'sleep_latency', 'wakeup_latency', 'wakeupduration', 'wakeupcount', 'waso', 'nb_rem_episodes', 'out_of_bed_count',
  'hr_average', 'hr_min', 'hr_max', 'rr_average', 'rr_min', 'rr_max', 'breathing_disturbances_intensity', 'apnea_hypopnea_index',
  'snoring', 'snoringepisodecount', 'sleep_score', 'rmssd_start_avg', 'rmssd_end_avg', 'core_body_temperature_avg',
].join(',');
const activityFields = ['steps', 'distance', 'elevation', 'soft', 'moderate', 'intense', 'active', 'calories', 'totalcalories', 'hr_average', 'hr_min', 'hr_max'].join(',');

/**
 * Days from `startdateymd` to `enddateymd` (YYYY-MM-DD), both taken as included (the reference does
 * not say; docs/vendors.md, Withings backfill): the bounded form of sleep v2 Getsummary and
 * measure v2 Getactivity, never sent with `lastupdate` (API reference: "DO NOT USE WITH FOLLOWING
 * PARAMS: [lastupdate]").
 */
export interface WithingsDays {
  readonly startdateymd: string;
  readonly enddateymd: string;
}

export interface WithingsApi {
  /** `GET /measure?action=getmeas&category=1&startdate&enddate`: weight, body, blood pressure, heart rate. */
  measures(window: WithingsWindow): Promise<JsonObject>;
  /** `GET /v2/sleep?action=getsummary&lastupdate&data_fields`: sleep summaries changed since the window's start. */
  sleepSummaries(window: WithingsWindow): Promise<JsonObject>;
  /** `GET /v2/measure?action=getactivity&lastupdate&data_fields`: daily activity changed since the window's start. */
  activity(window: WithingsWindow): Promise<JsonObject>;
  /** `GET /v2/sleep?action=getsummary&startdateymd&enddateymd&data_fields`: the nights of those days only (backfill). */
  sleepSummariesOfDays(days: WithingsDays): Promise<JsonObject>;
  /** `GET /v2/measure?action=getactivity&startdateymd&enddateymd&data_fields`: those days' activity only (backfill). */
  activityOfDays(days: WithingsDays): Promise<JsonObject>;
}

export function withingsApi(get: ApiGet): WithingsApi {
  const body = async (path: string, query: Record<string, string>) => objectAt(objectAnswer('withings', await get(path, query)), 'body') ?? {};
  return {
    measures: ({ startdate, enddate }) => body('/measure', { action: 'getmeas', category: '1', startdate, enddate }),
    sleepSummaries: ({ startdate }) => body('/v2/sleep', { action: 'getsummary', lastupdate: startdate, data_fields: sleepFields }),
    activity: ({ startdate }) => body('/v2/measure', { action: 'getactivity', lastupdate: startdate, data_fields: activityFields }),
    sleepSummariesOfDays: ({ startdateymd, enddateymd }) => body('/v2/sleep', { action: 'getsummary', startdateymd, enddateymd, data_fields: sleepFields }),
    activityOfDays: ({ startdateymd, enddateymd }) => body('/v2/measure', { action: 'getactivity', startdateymd, enddateymd, data_fields: activityFields }),
  };
}
