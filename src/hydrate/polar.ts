import { objectBody, stringAt } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { polarApi } from '../vendors/polar/api.ts';
import type { VendorHydrator } from './vendor-hydrator.ts';

export interface PolarFetch {
  readonly event: string;
  readonly url: string;
  /** The user's day the notification names (daily resources), which the document may not. */
  readonly date: string | undefined;
}

/**
 * Polar notifications `{event, user_id, entity_id|date, timestamp, url}` → the resource at `url`
 * (its path, on the configured host). PING announces the webhook and carries nothing: it goes on
 * for normalize to acknowledge. Value: `{user_id, event, date?, document}` (Polar resources do not
 * all name their user, and an activity summary names its day only in UTC, which is not the user's).
 */
export const polarHydrator: VendorHydrator<PolarFetch> = {
  vendor: 'polar',
  read(body) {
    const notification = objectBody(decodePayload('json', body, 'polar'), 'polar');
    const event = stringAt(notification, 'event');
    if (event === undefined || event === 'PING') return [{ kind: 'carries-data' }];
    const vendorUserId = stringAt(notification, 'user_id');
    const url = stringAt(notification, 'url');
    if (vendorUserId === undefined || url === undefined) throw new RecordError('malformed_notification', `polar ${event.slice(0, 40)} notification lacks user_id or url`);
    return [{ kind: 'fetch', vendorUserId, what: { event, url, date: stringAt(notification, 'date') } }];
  },
  async fetch({ event, url, date }, get, vendorUserId) {
    return { user_id: vendorUserId, event, ...(date === undefined ? {} : { date }), document: await polarApi(get).resource(url) };
  },
};
