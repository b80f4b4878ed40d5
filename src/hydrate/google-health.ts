import { arrayAt, isObject, objectAt, objectBody, stringAt, type JsonObject } from '../vendors/kit/payload-fields.ts';
import { decodePayload } from '../vendors/kit/decode-payload.ts';
import { RecordError } from '../streams/errors.ts';
import { googleHealthApi, googleHealthDaysFilter, googleHealthFilter } from '../vendors/google-health/api.ts';
import { splitList } from './record-size.ts';
import type { VendorHydrator } from './vendor-hydrator.ts';

interface Interval {
  readonly startTime: string;
  readonly endTime: string;
}

export interface GoogleHealthFetch {
  readonly dataType: string;
  readonly intervals: readonly Interval[];
}

/**
 * Google Health notifications `{data: {healthUserId, operation: UPSERT|DELETE, dataType,
 * intervals: [{startTime, endTime}]}}` → the data points of each interval (`list` with a time
 * filter). Value: `{user_id, data_type, data_points: [...]}`. DELETE → a deletion naming the data
 * type and intervals, header `op: delete`. A night of heart-rate samples runs past a megabyte:
 * such a value is split into several with the same user and data type, the points in order;
 * normalize maps each point on its own (its eventId from the point alone), so the parts give the
 * events of the whole.
 */
export const googleHealthHydrator: VendorHydrator<GoogleHealthFetch> = {
  vendor: 'google-health',
  read(body) {
    const data = objectAt(objectBody(decodePayload('json', body, 'google-health'), 'google-health'), 'data');
    const vendorUserId = stringAt(data, 'healthUserId');
    const dataType = stringAt(data, 'dataType');
    if (data === undefined || vendorUserId === undefined || dataType === undefined) {
      throw new RecordError('malformed_notification', 'google-health notification lacks data.healthUserId or data.dataType');
    }
    const intervals = (arrayAt(data, 'intervals') ?? []).filter(isObject).flatMap((interval) => {
      const startTime = stringAt(interval, 'startTime');
      const endTime = stringAt(interval, 'endTime');
      return startTime === undefined || endTime === undefined ? [] : [{ startTime, endTime }];
    });
    if (intervals.length === 0) throw new RecordError('malformed_notification', 'google-health notification has no interval with startTime and endTime');
    if (stringAt(data, 'operation') === 'DELETE') {
      return [{ kind: 'delete', vendorUserId, value: { user_id: vendorUserId, deleted: { type: dataType, intervals } } }];
    }
    return [{ kind: 'fetch', vendorUserId, what: { dataType, intervals } }];
  },
  async fetch({ dataType, intervals }, get, vendorUserId) {
    const api = googleHealthApi(get);
    const points = [];
    for (const { startTime, endTime } of intervals) points.push(...(await api.dataPoints(dataType, googleHealthFilter(dataType, startTime, endTime))));
    return { user_id: vendorUserId, data_type: dataType, data_points: points };
  },
  // The data types the baselines read (the night's HRV, the resting heart rate), over the whole window.
  async backfill({ startDate, endDate }, get, vendorUserId) {
    const api = googleHealthApi(get);
    const values: JsonObject[] = [];
    for (const dataType of backfilledTypes) {
      const points = await api.dataPoints(dataType, googleHealthDaysFilter(dataType, startDate, endDate));
      if (points.length > 0) values.push({ user_id: vendorUserId, data_type: dataType, data_points: points });
    }
    return values;
  },
  split: (value, maxBytes) => splitList(value, 'data_points', maxBytes),
};

const backfilledTypes = ['daily-heart-rate-variability', 'daily-resting-heart-rate'] as const;
