import { objectAnswer, type ApiGet } from '../kit/api-get.ts';
import type { JsonObject } from '../kit/payload-fields.ts';
import { everyPage, pageOf } from '../kit/token-pages.ts';
import { RecordError } from '../../streams/errors.ts';

/** Google Health API v4 (https://developers.google.com/health); `GOOGLE_HEALTH_API_BASE_URL` overrides it. */
export const googleHealthApiBaseUrl = 'https://health.googleapis.com';

/** Data types recorded as samples (a point in time) rather than intervals: their filter field differs. */
const sampleTypes = new Set(['heart-rate', 'heart-rate-variability', 'weight', 'height', 'body-fat', 'oxygen-saturation', 'blood-glucose', 'run-vo2-max', 'vo2-max', 'core-body-temperature', 'respiratory-rate-sleep-summary']);

const dayMs = 86_400_000;

/** The ISO date `days` after the UTC date of an instant (epoch ms). */
const utcDate = (at: number, days: number): string => new Date(at + days * dayMs).toISOString().slice(0, 10);

const isDailyType = (dataType: string): boolean => dataType.startsWith('daily-');

/** The filter's data type: snake case, where the path has kebab case (the filters page). */
const filterName = (dataType: string): string => dataType.replaceAll('-', '_');

/** Daily records dated from `firstDay` up to, not including, `endDay`: filters know only `>=` and `<`. */
const datesFilter = (dataType: string, firstDay: string, endDay: string): string =>
  `${filterName(dataType)}.date >= "${firstDay}" AND ${filterName(dataType)}.date < "${endDay}"`;

function instant(time: string): number {
  const at = Date.parse(time);
  if (Number.isNaN(at)) throw new RecordError('malformed_notification', 'google-health notification interval has a time that is not a time');
  return at;
}

/**
 * The `list` filter (AIP-160) for one notified interval: the data type in snake case, then
 * `interval.start_time` for interval types and `sample_time.physical_time` for samples, each as
 * `>= start AND < end`, or `date` for the daily types (https://developers.google.com/health/filters).
 * A daily record is dated in the user's own timezone and the interval's instants are UTC, so its
 * local dates run from the day before the UTC date of its start (a user west of UTC) to the day
 * after that of its last instant (east of UTC), all asked. Ending at the end's UTC date, excluded,
 * would ask nothing for an interval within one UTC date and miss the day a night ends on.
 */
export function googleHealthFilter(dataType: string, start: string, end: string): string {
  const name = filterName(dataType);
  if (isDailyType(dataType)) {
    const [from, until] = [instant(start), instant(end)];
    // The interval's last instant: one that ends at midnight does not reach the day beginning there.
    return datesFilter(dataType, utcDate(from, -1), utcDate(Math.max(from, until - 1), 2));
  }
  const field = sampleTypes.has(dataType) ? 'sample_time.physical_time' : 'interval.start_time';
  return `${name}.${field} >= "${start}" AND ${name}.${field} < "${end}"`;
}

/**
 * The filter for the days of a backfill window (ISO dates, `endDate` excluded): a daily type by
 * those dates themselves, so that the weeks of a backfill meet without overlap; the others by the
 * window's UTC instants.
 */
export function googleHealthDaysFilter(dataType: string, startDate: string, endDate: string): string {
  if (isDailyType(dataType)) return datesFilter(dataType, startDate, endDate);
  return googleHealthFilter(dataType, `${startDate}T00:00:00Z`, `${endDate}T00:00:00Z`);
}

export interface GoogleHealthApi {
  /** `GET /v4/users/me/dataTypes/{dataType}/dataPoints?filter&pageToken`: every page of one filter. */
  dataPoints(dataType: string, filter: string): Promise<JsonObject[]>;
}

export function googleHealthApi(get: ApiGet): GoogleHealthApi {
  return {
    dataPoints: (dataType, filter) =>
      everyPage('google-health', async (token) =>
        pageOf(
          objectAnswer('google-health', await get(`/v4/users/me/dataTypes/${encodeURIComponent(dataType)}/dataPoints`, { filter, ...(token === undefined ? {} : { pageToken: token }) })),
          'dataPoints',
          'nextPageToken',
        ),
      ),
  };
}
