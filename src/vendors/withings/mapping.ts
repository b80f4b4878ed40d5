import { objectBody } from '../kit/payload-fields.ts';
import { needsHydration, unmappable, type VendorMapping } from '../kit/vendor-mapping.ts';

/** Withings appli codes (notification categories), for a readable dead-letter detail. */
const appli: Readonly<Record<string, string>> = { '1': 'weight', '2': 'temperature', '4': 'pressure', '16': 'activity', '44': 'sleep', '46': 'user', '50': 'bed_in', '51': 'bed_out', '54': 'ecg', '62': 'hrv' };

/**
 * Withings notifications `userid, appli, startdate, enddate` only say that data changed in a
 * window; the measures come from its API: they need hydration.
 */
export const withingsMapping: VendorMapping = {
  source: 'WITHINGS',
  // Form fields or JSON, as the declared content type decided (bodyFormats in ./index.ts).
  map(body) {
    const form = objectBody(body, 'withings');
    if (form['userid'] === undefined || form['userid'] === '') unmappable('withings', 'notification has no userid');
    const category = appli[String(form['appli'])] ?? `appli ${String(form['appli'] ?? 'missing').slice(0, 8)}`;
    return needsHydration('withings', `${category} notification`);
  },
};
