import { RecordError } from '../../streams/errors.ts';
import { isObject, parseJsonBody } from '../../normalize/payload-fields.ts';
import { needsHydration, unmappable, type VendorMapping } from '../../normalize/vendor-mapping.ts';

/** Withings appli codes (notification categories), for a readable dead-letter detail. */
const appli: Readonly<Record<string, string>> = { '1': 'weight', '2': 'temperature', '4': 'pressure', '16': 'activity', '44': 'sleep', '46': 'user', '50': 'bed_in', '51': 'bed_out', '54': 'ecg', '62': 'hrv' };

function fields(body: Buffer | null): Record<string, unknown> {
  if (body === null || body.length === 0) throw new RecordError('malformed_body', 'withings record has an empty body');
  // Withings posts form-urlencoded; JSON is accepted because ingress lets it through too.
  if (body[0] === 0x7b) return parseJsonBody(body, 'withings');
  const parsed = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  return isObject(parsed) ? parsed : {};
}

/**
 * Withings notifications `userid, appli, startdate, enddate` only say that data changed in a
 * window; the measures come from its API: they need hydration.
 */
export const withingsMapping: VendorMapping = {
  vendor: 'withings',
  source: 'WITHINGS',
  map(body) {
    const form = fields(body);
    if (form['userid'] === undefined || form['userid'] === '') unmappable('withings', 'notification has no userid');
    const category = appli[String(form['appli'])] ?? `appli ${String(form['appli'] ?? 'missing').slice(0, 8)}`;
    return needsHydration('withings', `${category} notification`);
  },
};
