import { objectBody, stringAt } from '../kit/payload-fields.ts';
import { needsHydration, unmappable, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Polar AccessLink notifications `{event, user_id, entity_id|date, timestamp, url}` point at the
 * data (`url`): they need hydration. PING only announces the webhook and is acknowledged.
 */
export const polarMapping: VendorMapping = {
  source: 'POLAR',
  map(body) {
    const json = objectBody(body, 'polar');
    const event = stringAt(json, 'event') ?? unmappable('polar', 'notification has no event');
    if (event === 'PING') return { events: [], acknowledged: 'polar_ping' };
    if (stringAt(json, 'user_id') === undefined) unmappable('polar', `${event.slice(0, 40)} notification has no user_id`);
    return needsHydration('polar', `${event.slice(0, 40)} notification`);
  },
};
