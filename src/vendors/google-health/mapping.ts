import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';
import type { BiometricEvent } from '../../events/index.ts';

/** A `{year, month, day}` date of the daily types, as UTC midnight. */
function civilDate(date: JsonObject | undefined): number | undefined {
  const year = numberAt(date, 'year');
  const month = numberAt(date, 'month');
  const day = numberAt(date, 'day');
  return year === undefined || month === undefined || day === undefined ? undefined : Date.UTC(year, month - 1, day);
}

type PointMapper = (userId: string, name: string, value: JsonObject, context: MappingContext) => BiometricEvent;

/**
 * The DataPoint union fields the bridge maps (users.dataTypes.dataPoints reference), each to one
 * event whose identity is the data point's resource name.
 */
const points: Readonly<Record<string, PointMapper>> = {
  heartRateVariability: (userId, name, value, context) =>
    buildEvent(
      {
        source: 'GOOGLE_HEALTH',
        userId,
        dataType: 'hrv',
        occurredAt: timeAt(value, 'sampleTime', 'physicalTime') ?? unmappable('google-health', 'heart rate variability has no sampleTime.physicalTime'),
        identity: [name],
        headlines: { hrvRmssdMs: numberAt(value, 'rootMeanSquareOfSuccessiveDifferencesMilliseconds') },
        readings: [readingAt(value, 'hrv_sdnn', 'ms', 'standardDeviationMilliseconds')],
      },
      context,
    ),
  dailyRestingHeartRate: (userId, name, value, context) =>
    buildEvent(
      {
        source: 'GOOGLE_HEALTH',
        userId,
        dataType: 'heart_rate',
        occurredAt: civilDate(objectAt(value, 'date')) ?? unmappable('google-health', 'daily resting heart rate has no date'),
        identity: [name],
        headlines: { restingHeartRateBpm: numberAt(value, 'beatsPerMinute') },
      },
      context,
    ),
};

/**
 * Google Health API notifications `{data: {healthUserId, operation, dataType, intervals}}` say
 * which data changed, not what it is: they need hydration. Normalize maps what hydrate listed,
 * `{user_id, data_type, data_points}` (src/hydrate/google-health.ts). Verification POSTs are
 * answered by ingress; one that reaches normalize anyway is acknowledged. A deletion names only
 * a data type and time intervals, not the data points it removed, so it names no event: there is
 * no mapDeletion, and normalize dead-letters it as `deletion_unsupported`.
 */
export const googleHealthMapping: VendorMapping = {
  source: 'GOOGLE_HEALTH',
  map(body, context) {
    const json = objectBody(body, 'google-health');
    if (stringAt(json, 'type') === 'verification') return { events: [], acknowledged: 'google_health_verification' };
    const listed = arrayAt(json, 'data_points');
    if (listed !== undefined) {
      const userId = stringAt(json, 'user_id') ?? unmappable('google-health', 'hydrated data points have no user_id');
      const events = listed.filter(isObject).map((point) => {
        const name = stringAt(point, 'name') ?? unmappable('google-health', 'data point has no name');
        const field = Object.keys(points).find((key) => objectAt(point, key) !== undefined);
        if (field === undefined) unmappable('google-health', `${(stringAt(json, 'data_type') ?? 'unknown').slice(0, 60)} data points are not mapped to events`);
        return points[field]!(userId, name, objectAt(point, field)!, context);
      });
      return events.length > 0 ? { events } : { events: [], acknowledged: 'google_health_no_data_points' };
    }
    const data = objectAt(json, 'data') ?? unmappable('google-health', 'notification has no data object');
    if (stringAt(data, 'healthUserId') === undefined) unmappable('google-health', 'notification has no data.healthUserId');
    return needsHydration('google-health', `${stringAt(data, 'operation') ?? 'unknown'} notification for ${stringAt(data, 'dataType') ?? 'unknown data type'}`);
  },
};
