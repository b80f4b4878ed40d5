import type { ApiGet, JsonResponse } from '../kit/api-get.ts';
import { RecordError } from '../../streams/errors.ts';

/** Garmin Health API (partner-gated spec); `GARMIN_API_BASE_URL` overrides the host. */
export const garminApiBaseUrl = 'https://apis.garmin.com';

/** Where Garmin's pull endpoints lie; a ping's callbackURL names one of them. */
const wellnessApiPath = '/wellness-api/rest/';

/**
 * A ping's `callbackURL` as a path and query on the configured host: the stage never follows a
 * host named in a request body, so a forged ping cannot point it (and the user's token)
 * elsewhere, nor at a path of the host outside the pull endpoints.
 */
export function garminCallbackPath(callbackUrl: string): { path: string; query: Record<string, string> } {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch (error) {
    throw new RecordError('malformed_notification', 'garmin ping has a callbackURL that is not a URL', { cause: error });
  }
  // The URL parser has resolved dot segments; encoded slashes and dots it leaves for the server to read as it likes.
  if (!url.pathname.startsWith(wellnessApiPath) || /%(2f|5c|2e)/i.test(url.pathname)) throw new RecordError('malformed_notification', `garmin ping has a callbackURL outside ${wellnessApiPath}`);
  return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
}

export interface GarminApi {
  /** `GET <callbackURL>`: the summaries of one type uploaded in the ping's window (a list). */
  pull(callbackUrl: string): Promise<JsonResponse>;
}

export function garminApi(get: ApiGet): GarminApi {
  return {
    pull(callbackUrl) {
      const { path, query } = garminCallbackPath(callbackUrl);
      return get(path, query);
    },
  };
}
