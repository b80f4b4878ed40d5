import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type MappingResult, type VendorMapping } from '../kit/vendor-mapping.ts';
import { headlineFields, type BiometricEvent, type Headlines, type Reading } from '../../events/index.ts';

/** A `{year, month, day}` date of the daily types, as UTC midnight. */
function civilDate(date: JsonObject | undefined): number | undefined {
  const year = numberAt(date, 'year');
  const month = numberAt(date, 'month');
  const day = numberAt(date, 'day');
  return year === undefined || month === undefined || day === undefined ? undefined : Date.UTC(year, month - 1, day);
}

/** A reading converted into the bridge's unit (Google Health keeps grams, millimetres and minutes). */
function scaledAt(value: JsonObject, metric: string, unit: string, convert: (raw: number) => number, ...path: string[]): Reading | undefined {
  const raw = numberAt(value, ...path);
  return raw === undefined ? undefined : { metric, value: convert(raw), unit };
}

// Dividing keeps decimals exact where multiplying by 1e-3 would not (7004 × 1e-3 = 7.0040000000000004).
const thousandths = (raw: number) => raw / 1000; // g → kg, mm → m, mm/s → m/s
const minutes = (raw: number) => raw * 60; // → s

/** A protobuf Duration as JSON writes it (`"1800s"`, `"0.5s"`), in seconds. */
export function durationSeconds(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^(-?\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Number(match[1]) : undefined;
}

/** How long an interval or session lasted, in seconds. */
function intervalDuration(value: JsonObject): Reading | undefined {
  const start = timeAt(value, 'interval', 'startTime');
  const end = timeAt(value, 'interval', 'endTime');
  return start === undefined || end === undefined ? undefined : { metric: 'duration', value: (end - start) / 1000, unit: 's' };
}

/** A sleep's minutes in one stage (`summary.stagesSummary[{type, minutes}]`), in seconds. */
function stageAt(sleep: JsonObject, metric: string, stage: string): Reading | undefined {
  const entry = (arrayAt(sleep, 'summary', 'stagesSummary') ?? []).filter(isObject).find((summary) => stringAt(summary, 'type') === stage);
  return entry === undefined ? undefined : scaledAt(entry, metric, 's', minutes, 'minutes');
}

interface PointKind {
  readonly dataType: string;
  readonly headlines?: (value: JsonObject) => Headlines;
  readonly readings?: (value: JsonObject) => readonly (Reading | undefined)[];
}

/**
 * The DataPoint union fields the bridge maps (users.dataTypes.dataPoints reference), by the field
 * that carries the value. int64 values (`beatsPerMinute`, `count`, `millimeters`) arrive as JSON
 * strings; numberAt reads both.
 */
const kinds: Readonly<Record<string, PointKind>> = {
  // A sample every few minutes through the night, not the night's HRV: as the headline each one
  // was judged by the rules and counted in the baseline as a night of its own. The night's value
  // is the daily type below, as Withings' start and end RMSSD are readings beside its night.
  heartRateVariability: {
    dataType: 'hrv',
    readings: (v) => [
      readingAt(v, 'hrv_rmssd_sample', 'ms', 'rootMeanSquareOfSuccessiveDifferencesMilliseconds'),
      readingAt(v, 'hrv_sdnn', 'ms', 'standardDeviationMilliseconds'),
    ],
  },
  dailyHeartRateVariability: {
    dataType: 'hrv',
    headlines: (v) => ({ hrvRmssdMs: numberAt(v, 'averageHeartRateVariabilityMilliseconds') }),
    readings: (v) => [
      readingAt(v, 'hrv_rmssd_deep_sleep', 'ms', 'deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds'),
      readingAt(v, 'non_rem_heart_rate', 'bpm', 'nonRemHeartRateBeatsPerMinute'),
      readingAt(v, 'hrv_entropy', 'entropy', 'entropy'),
    ],
  },
  dailyRestingHeartRate: { dataType: 'heart_rate', headlines: (v) => ({ restingHeartRateBpm: numberAt(v, 'beatsPerMinute') }) },
  heartRate: { dataType: 'heart_rate', readings: (v) => [readingAt(v, 'heart_rate', 'bpm', 'beatsPerMinute')] },
  oxygenSaturation: { dataType: 'body', readings: (v) => [readingAt(v, 'spo2', 'percent', 'percentage')] },
  dailyOxygenSaturation: {
    dataType: 'daily',
    readings: (v) => [
      readingAt(v, 'avg_spo2', 'percent', 'averagePercentage'),
      readingAt(v, 'min_spo2', 'percent', 'lowerBoundPercentage'),
      readingAt(v, 'max_spo2', 'percent', 'upperBoundPercentage'),
    ],
  },
  dailyRespiratoryRate: { dataType: 'daily', readings: (v) => [readingAt(v, 'respiratory_rate', 'breaths_per_min', 'breathsPerMinute')] },
  dailySleepTemperatureDerivations: {
    dataType: 'daily',
    // Google gives the night's skin temperature and its baseline, not their difference.
    headlines: (v) => {
      const nightly = numberAt(v, 'nightlyTemperatureCelsius');
      const baseline = numberAt(v, 'baselineTemperatureCelsius');
      return { temperatureDeltaC: nightly === undefined || baseline === undefined ? undefined : nightly - baseline };
    },
    readings: (v) => [readingAt(v, 'skin_temperature', 'celsius', 'nightlyTemperatureCelsius')],
  },
  weight: { dataType: 'body', readings: (v) => [scaledAt(v, 'weight', 'kg', thousandths, 'weightGrams')] },
  bodyFat: { dataType: 'body', readings: (v) => [readingAt(v, 'fat_ratio', 'percent', 'percentage')] },
  height: { dataType: 'body', readings: (v) => [scaledAt(v, 'height', 'm', thousandths, 'heightMillimeters')] },
  vo2Max: { dataType: 'body', readings: (v) => [readingAt(v, 'vo2_max', 'ml_per_kg_min', 'vo2Max')] },
  runVo2Max: { dataType: 'body', readings: (v) => [readingAt(v, 'vo2_max', 'ml_per_kg_min', 'runVo2Max')] },
  dailyVo2Max: { dataType: 'daily', readings: (v) => [readingAt(v, 'vo2_max', 'ml_per_kg_min', 'vo2Max')] },
  steps: { dataType: 'activity', readings: (v) => [readingAt(v, 'steps', 'count', 'count')] },
  distance: { dataType: 'activity', readings: (v) => [scaledAt(v, 'distance', 'm', thousandths, 'millimeters')] },
  // Altitude is the gain over the interval, not the height above sea level.
  altitude: { dataType: 'activity', readings: (v) => [scaledAt(v, 'elevation_gain', 'm', thousandths, 'gainMillimeters')] },
  activeEnergyBurned: { dataType: 'activity', readings: (v) => [readingAt(v, 'active_energy', 'kcal', 'kcal')] },
  floors: { dataType: 'activity', readings: (v) => [readingAt(v, 'floors', 'count', 'count')] },
  // One minute in a fat-burn zone counts 1, in cardio or peak 2 (the reference's definition).
  activeZoneMinutes: { dataType: 'activity', readings: (v) => [readingAt(v, 'active_zone_minutes', 'min', 'activeZoneMinutes')] },
  exercise: {
    dataType: 'activity',
    readings: (v) => {
      const active = durationSeconds(v['activeDuration']);
      return [
        intervalDuration(v),
        active === undefined ? undefined : { metric: 'active_duration', value: active, unit: 's' },
        readingAt(v, 'energy', 'kcal', 'metricsSummary', 'caloriesKcal'),
        scaledAt(v, 'distance', 'm', thousandths, 'metricsSummary', 'distanceMillimeters'),
        readingAt(v, 'steps', 'count', 'metricsSummary', 'steps'),
        readingAt(v, 'avg_heart_rate', 'bpm', 'metricsSummary', 'averageHeartRateBeatsPerMinute'),
        scaledAt(v, 'avg_speed', 'm/s', thousandths, 'metricsSummary', 'averageSpeedMillimetersPerSecond'),
        scaledAt(v, 'elevation_gain', 'm', thousandths, 'metricsSummary', 'elevationGainMillimeters'),
        readingAt(v, 'active_zone_minutes', 'min', 'metricsSummary', 'activeZoneMinutes'),
        readingAt(v, 'vo2_max', 'ml_per_kg_min', 'metricsSummary', 'runVo2Max'),
      ];
    },
  },
  // A sleep session: its summary in minutes (int64 strings); CLASSIC sleep has ASLEEP and RESTLESS stages, STAGES sleep LIGHT, DEEP and REM.
  sleep: {
    dataType: 'sleep',
    readings: (v) => [
      scaledAt(v, 'time_in_bed', 's', minutes, 'summary', 'minutesInSleepPeriod'),
      scaledAt(v, 'sleep_duration', 's', minutes, 'summary', 'minutesAsleep'),
      scaledAt(v, 'awake_duration', 's', minutes, 'summary', 'minutesAwake'),
      scaledAt(v, 'sleep_latency', 's', minutes, 'summary', 'minutesToFallAsleep'),
      scaledAt(v, 'wakeup_latency', 's', minutes, 'summary', 'minutesAfterWakeUp'),
      stageAt(v, 'light_sleep_duration', 'LIGHT'),
      stageAt(v, 'deep_sleep_duration', 'DEEP'),
      stageAt(v, 'rem_sleep_duration', 'REM'),
      stageAt(v, 'restless_duration', 'RESTLESS'),
    ],
  },
  respiratoryRateSleepSummary: {
    dataType: 'sleep',
    readings: (v) => [
      readingAt(v, 'respiratory_rate', 'breaths_per_min', 'fullSleepStats', 'breathsPerMinute'),
      readingAt(v, 'deep_sleep_respiratory_rate', 'breaths_per_min', 'deepSleepStats', 'breathsPerMinute'),
      readingAt(v, 'light_sleep_respiratory_rate', 'breaths_per_min', 'lightSleepStats', 'breathsPerMinute'),
      readingAt(v, 'rem_sleep_respiratory_rate', 'breaths_per_min', 'remSleepStats', 'breathsPerMinute'),
    ],
  },
};

/** When a value was observed: samples at `sampleTime`, intervals from `interval`, daily types on `date`. */
function observedAt(value: JsonObject): { readonly at: number; readonly until?: number } | undefined {
  const sample = timeAt(value, 'sampleTime', 'physicalTime');
  if (sample !== undefined) return { at: sample };
  const start = timeAt(value, 'interval', 'startTime');
  if (start !== undefined) return { at: start, until: timeAt(value, 'interval', 'endTime') ?? start };
  const day = civilDate(objectAt(value, 'date'));
  return day === undefined ? undefined : { at: day };
}

/**
 * Most data types serve points without a `name` (the reference: "for the majority of the data
 * types ... this field would be empty"), so a nameless point is identified by its type, its time
 * and its data source: the same point served again gives the same eventId, two devices' points
 * of one minute do not collapse.
 */
function identityOf(point: JsonObject, field: string, time: { readonly at: number; readonly until?: number }): (string | number)[] {
  const name = stringAt(point, 'name');
  if (name !== undefined) return [name];
  const source = ['platform', 'recordingMethod'].map((key) => stringAt(point, 'dataSource', key) ?? '');
  const device = stringAt(point, 'dataSource', 'device', 'displayName') ?? '';
  const app = stringAt(point, 'dataSource', 'application', 'packageName') ?? '';
  return [field, time.at, time.until ?? '', ...source, device, app];
}

function mapPoint(userId: string, dataType: string, point: JsonObject, context: MappingContext): BiometricEvent {
  const field = Object.keys(kinds).find((key) => objectAt(point, key) !== undefined);
  if (field === undefined) unmappable('google-health', `${dataType.slice(0, 60)} data points are not mapped to events`);
  const kind = kinds[field]!;
  const value = objectAt(point, field)!;
  const time = observedAt(value) ?? unmappable('google-health', `${field} data point has no sampleTime, interval or date`);
  const event = buildEvent(
    {
      source: 'GOOGLE_HEALTH',
      userId,
      dataType: kind.dataType,
      occurredAt: time.at,
      identity: identityOf(point, field, time),
      deviceType: stringAt(point, 'dataSource', 'device', 'displayName'),
      headlines: kind.headlines?.(value) ?? {},
      readings: kind.readings?.(value) ?? [],
    },
    context,
  );
  if (event.readings.length === 0 && headlineFields.every((headline) => event[headline] === null)) unmappable('google-health', `${field} data point has no value`);
  return event;
}

/**
 * Google Health API notifications `{data: {healthUserId, operation, dataType, intervals}}` say
 * which data changed, not what it is: they need hydration. Normalize maps what hydrate listed,
 * `{user_id, data_type, data_points}` (src/hydrate/google-health.ts). Verification POSTs are
 * answered by ingress; one that reaches normalize anyway is acknowledged. A deletion names only
 * a data type and time intervals: the points it removed (their names, or for nameless points
 * their times and data sources) are not in it, so it names no event. There is no mapDeletion,
 * and normalize dead-letters it as `deletion_unsupported`.
 */
export const googleHealthMapping: VendorMapping = {
  source: 'GOOGLE_HEALTH',
  map(body, context) {
    const json = objectBody(body, 'google-health');
    if (stringAt(json, 'type') === 'verification') return { events: [], acknowledged: 'google_health_verification' };
    const listed = arrayAt(json, 'data_points');
    if (listed !== undefined) {
      const userId = stringAt(json, 'user_id') ?? unmappable('google-health', 'hydrated data points have no user_id');
      const dataType = stringAt(json, 'data_type') ?? 'unknown';
      const events = listed.map((point) => (isObject(point) ? mapPoint(userId, dataType, point, context) : unmappable('google-health', `${dataType.slice(0, 60)} data point is not an object`)));
      return events.length > 0 ? { events } : { events: [], acknowledged: 'google_health_no_data_points' };
    }
    const data = objectAt(json, 'data') ?? unmappable('google-health', 'notification has no data object');
    if (stringAt(data, 'healthUserId') === undefined) unmappable('google-health', 'notification has no data.healthUserId');
    return needsHydration('google-health', `${stringAt(data, 'operation') ?? 'unknown'} notification for ${stringAt(data, 'dataType') ?? 'unknown data type'}`);
  },
};
