import { objectAnswer, type ApiGet } from '../kit/api-get.ts';
import type { JsonObject } from '../kit/payload-fields.ts';
import { everyPage, pageOf } from '../kit/token-pages.ts';

/** WHOOP developer API v2 (https://developer.whoop.com/api); `WHOOP_API_BASE_URL` overrides it. */
export const whoopApiBaseUrl = 'https://api.prod.whoop.com/developer';

export interface WhoopApi {
  /** `GET /v2/activity/sleep/{sleepId}` */
  sleep(sleepId: string): Promise<JsonObject>;
  /** `GET /v2/activity/workout/{workoutId}` */
  workout(workoutId: string): Promise<JsonObject>;
  /** `GET /v2/cycle/{cycleId}/recovery`: the recovery scored for a physiological cycle. */
  recoveryOfCycle(cycleId: string): Promise<JsonObject>;
  /**
   * A collection between two times (ISO), every page: `GET /v2/recovery`, `/v2/activity/sleep` or
   * `/v2/activity/workout` with `start`, `end`, `limit` (25, the most WHOOP serves) and `nextToken`.
   */
  collection(path: WhoopCollection, start: string, end: string): Promise<JsonObject[]>;
}

export type WhoopCollection = '/v2/recovery' | '/v2/activity/sleep' | '/v2/activity/workout';

export function whoopApi(get: ApiGet): WhoopApi {
  const document = async (path: string) => objectAnswer('whoop', await get(path));
  const id = (value: string) => encodeURIComponent(value);
  return {
    sleep: (sleepId) => document(`/v2/activity/sleep/${id(sleepId)}`),
    workout: (workoutId) => document(`/v2/activity/workout/${id(workoutId)}`),
    recoveryOfCycle: (cycleId) => document(`/v2/cycle/${id(cycleId)}/recovery`),
    collection: (path, start, end) => everyPage('whoop', async (token) => pageOf(objectAnswer('whoop', await get(path, { start, end, limit: '25', ...(token === undefined ? {} : { nextToken: token }) })), 'records', 'next_token')),
  };
}
