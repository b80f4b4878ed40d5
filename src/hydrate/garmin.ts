import { isObject, objectBody, stringAt } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { garminApi } from '../vendors/garmin/api.ts';
import type { HydrationRequest, VendorHydrator } from './vendor-hydrator.ts';

export interface GarminFetch {
  /** The summary type the ping names (`dailies`, `sleeps`, `hrv`…). */
  readonly summaryType: string;
  readonly callbackUrl: string;
}

/**
 * Garmin pings `{"<type>": [{userId, userAccessToken, uploadStartTimeInSeconds,
 * uploadEndTimeInSeconds, callbackURL}]}` → each item's callback URL with that user's token.
 * The value is the push shape, `{"<type>": [summaries]}`, which the Garmin mapping already maps;
 * each summary gets the item's `userId` when Garmin leaves it out and loses its `userAccessToken`
 * (a credential has no business on a topic). Push notifications (summaries
 * inline, no callbackURL) carry their data.
 */
export const garminHydrator: VendorHydrator<GarminFetch> = {
  vendor: 'garmin',
  read(body) {
    const json = objectBody(decodePayload('json', body, 'garmin'), 'garmin');
    const requests: HydrationRequest<GarminFetch>[] = [];
    for (const [summaryType, items] of Object.entries(json)) {
      if (!Array.isArray(items)) continue;
      for (const item of items) {
        const callbackUrl = stringAt(item, 'callbackURL');
        if (callbackUrl === undefined) continue;
        const vendorUserId = stringAt(item, 'userId');
        if (vendorUserId === undefined) throw new RecordError('malformed_notification', `garmin ${summaryType.slice(0, 40)} ping item has no userId`);
        requests.push({ kind: 'fetch', vendorUserId, what: { summaryType, callbackUrl } });
      }
    }
    return requests.length === 0 ? [{ kind: 'carries-data' }] : requests;
  },
  async fetch({ summaryType, callbackUrl }, get, vendorUserId) {
    const answer = await garminApi(get).pull(callbackUrl);
    const summaries = (Array.isArray(answer) ? answer : [answer]).filter(isObject).map(({ userAccessToken: _token, ...summary }) => ({ userId: vendorUserId, ...summary }));
    return { [summaryType]: summaries };
  },
};
