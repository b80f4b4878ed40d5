import { objectAt, objectBody, stringAt } from '../kit/payload-fields.ts';
import { needsHydration, unmappable, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Google Health API notifications `{data: {healthUserId, operation, dataType, intervals}}` say
 * which data changed, not what it is: they need hydration. Verification POSTs are answered by
 * ingress; one that reaches normalize anyway is acknowledged.
 */
export const googleHealthMapping: VendorMapping = {
  source: 'GOOGLE_HEALTH',
  map(body) {
    const json = objectBody(body, 'google-health');
    if (stringAt(json, 'type') === 'verification') return { events: [], acknowledged: 'google_health_verification' };
    const data = objectAt(json, 'data') ?? unmappable('google-health', 'notification has no data object');
    if (stringAt(data, 'healthUserId') === undefined) unmappable('google-health', 'notification has no data.healthUserId');
    return needsHydration('google-health', `${stringAt(data, 'operation') ?? 'unknown'} notification for ${stringAt(data, 'dataType') ?? 'unknown data type'}`);
  },
};
