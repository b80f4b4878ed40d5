import { objectAt, objectBody, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { whoopApi } from '../vendors/whoop/api.ts';
import { deletion, type VendorHydrator } from './vendor-hydrator.ts';

const resources = ['sleep', 'workout', 'recovery'] as const;
type WhoopResource = (typeof resources)[number];

export interface WhoopFetch {
  readonly resource: WhoopResource;
  readonly id: string;
}

/**
 * WHOOP notifications `{user_id, id, type: <resource>.updated|deleted, trace_id}` → the document,
 * which names its user, so it goes on as WHOOP serves it. Sleep and workout by id; a recovery's
 * id is its sleep's UUID (model v2): sleep → its `cycle_id` → `GET /v2/cycle/{cycleId}/recovery`.
 * A numeric id is a cycle id (model v1 notifications) and goes to the recovery directly.
 */
export const whoopHydrator: VendorHydrator<WhoopFetch> = {
  vendor: 'whoop',
  read(body) {
    const notification = objectBody(decodePayload('json', body, 'whoop'), 'whoop');
    const type = stringAt(notification, 'type');
    if (type === undefined || objectAt(notification, 'score') !== undefined) return [{ kind: 'carries-data' }];
    const vendorUserId = stringAt(notification, 'user_id');
    const id = stringAt(notification, 'id');
    if (vendorUserId === undefined || id === undefined) throw new RecordError('malformed_notification', 'whoop notification lacks user_id or id');
    const [resource, action] = type.split('.');
    if (!(resources as readonly string[]).includes(resource ?? '') || (action !== 'updated' && action !== 'deleted')) {
      throw new RecordError('unsupported_notification', `whoop notification type ${type} is not one the bridge hydrates`);
    }
    if (action === 'deleted') return [{ kind: 'delete', vendorUserId, value: deletion(vendorUserId, resource!, id) }];
    return [{ kind: 'fetch', vendorUserId, what: { resource: resource as WhoopResource, id } }];
  },
  async fetch({ resource, id }, get) {
    const api = whoopApi(get);
    if (resource === 'sleep') return api.sleep(id);
    if (resource === 'workout') return api.workout(id);
    if (/^\d+$/.test(id)) return api.recoveryOfCycle(id);
    const cycleId = stringAt(await api.sleep(id), 'cycle_id');
    if (cycleId === undefined) throw new RecordError('malformed_resource', 'whoop sleep of a recovery notification has no cycle_id');
    return api.recoveryOfCycle(cycleId);
  },
  // WHOOP's documents name their user and go on as served, like `fetch`'s.
  async backfill({ startDate, endDate }, get) {
    const api = whoopApi(get);
    const [start, end] = [`${startDate}T00:00:00.000Z`, `${endDate}T00:00:00.000Z`];
    const values: JsonObject[] = [];
    for (const path of ['/v2/recovery', '/v2/activity/sleep', '/v2/activity/workout'] as const) values.push(...(await api.collection(path, start, end)));
    return values;
  },
};
