import { objectAnswer, type ApiGet } from '../kit/api-get.ts';
import { arrayAt, isObject, stringAt, type JsonObject } from '../kit/payload-fields.ts';

/** Google Health API v4 (https://developers.google.com/health); `GOOGLE_HEALTH_API_BASE_URL` overrides it. */
export const googleHealthApiBaseUrl = 'https://health.googleapis.com';

/** Data types recorded as samples (a point in time) rather than intervals: their filter field differs. */
const sampleTypes = new Set(['heart-rate', 'heart-rate-variability', 'weight', 'height', 'body-fat', 'oxygen-saturation', 'blood-glucose', 'run-vo2-max', 'vo2-max', 'core-body-temperature', 'respiratory-rate-sleep-summary']);

/**
 * The `list` filter (AIP-160) for one notified interval: the data type in snake case, then
 * `interval.start_time` for interval types, `sample_time.physical_time` for samples, `date` for the
 * daily summaries (*unconfirmed*), each as `>= start AND < end`.
 */
export function googleHealthFilter(dataType: string, start: string, end: string): string {
  const name = dataType.replaceAll('-', '_');
  if (dataType.startsWith('daily-')) return `${name}.date >= "${start.slice(0, 10)}" AND ${name}.date < "${end.slice(0, 10)}"`;
  const field = sampleTypes.has(dataType) ? 'sample_time.physical_time' : 'interval.start_time';
  return `${name}.${field} >= "${start}" AND ${name}.${field} < "${end}"`;
}

export interface GoogleHealthApi {
  /** `GET /v4/users/me/dataTypes/{dataType}/dataPoints?filter&pageToken`: every page of one interval. */
  dataPoints(dataType: string, start: string, end: string): Promise<JsonObject[]>;
}

export function googleHealthApi(get: ApiGet): GoogleHealthApi {
  return {
    async dataPoints(dataType, start, end) {
      const points: JsonObject[] = [];
      let pageToken: string | undefined;
      do {
        const page = objectAnswer(
          'google-health',
          await get(`/v4/users/me/dataTypes/${encodeURIComponent(dataType)}/dataPoints`, {
            filter: googleHealthFilter(dataType, start, end),
            ...(pageToken === undefined ? {} : { pageToken }),
          }),
        );
        points.push(...(arrayAt(page, 'dataPoints') ?? []).filter(isObject));
        pageToken = stringAt(page, 'nextPageToken');
      } while (pageToken !== undefined);
      return points;
    },
  };
}
