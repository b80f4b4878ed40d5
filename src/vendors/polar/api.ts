import { objectAnswer, type ApiGet } from '../kit/api-get.ts';
import type { JsonObject } from '../kit/payload-fields.ts';
import { RecordError } from '../../streams/errors.ts';

/** Polar AccessLink v3 (https://www.polar.com/accesslink-api/); `POLAR_API_BASE_URL` overrides it. */
export const polarApiBaseUrl = 'https://www.polaraccesslink.com';

export interface PolarApi {
  /**
   * `GET <url>` of a notification (e.g. `/v3/exercises/{exerciseId}`,
   * `/v3/users/sleep/{date}`), as a path on the configured host: never a host from the body.
   */
  resource(notificationUrl: string): Promise<JsonObject>;
}

export function polarApi(get: ApiGet): PolarApi {
  return {
    async resource(notificationUrl) {
      let url: URL;
      try {
        url = new URL(notificationUrl);
      } catch (error) {
        throw new RecordError('malformed_notification', 'polar notification url is not a URL', { cause: error });
      }
      return objectAnswer('polar', await get(url.pathname, Object.fromEntries(url.searchParams)));
    },
  };
}
