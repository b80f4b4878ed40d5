import { type BiometricEvent, type Headlines, type Reading } from '../../events/index.ts';
import { RecordError } from '../../streams/errors.ts';
import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, readingAt, unmappable, type MappingContext, type MappingResult, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Terra documents `{type, user: {user_id, provider, reference_id}, data: [...], version}`, from its
 * webhook (verified.terra) or its Kafka destination (terra-biometric-events, after fetching an
 * s3_payload). Each `data[]` item becomes one event, and each weigh-in of a body item one more.
 * Upsert keys per Terra: `metadata.summary_id` for activity and sleep, start+end time for daily,
 * body, nutrition and menstruation.
 */

export const terraDataTypes = ['activity', 'sleep', 'daily', 'body', 'nutrition', 'menstruation'] as const;

/** Terra events that carry no biometrics: counted and acknowledged, never dead-lettered. */
export const terraNonDataTypes = [
  'athlete',
  'auth',
  'deauth',
  'user_reauth',
  'access_revoked',
  'connection_error',
  'permission_change',
  'processing',
  'large_request_processing',
  'large_request_sending',
  'rate_limit_hit',
  'healthcheck',
  'google_no_datasource',
] as const;

/** Heart summary as Terra nests it: sleep, daily and activity under heart_rate_data; body under heart_data. */
function heartSummary(item: JsonObject, dataType: string): JsonObject | undefined {
  return dataType === 'body' ? objectAt(item, 'heart_data', 'heart_rate_data', 'summary') : objectAt(item, 'heart_rate_data', 'summary');
}

function heartHeadlines(summary: JsonObject | undefined): Headlines {
  return { hrvRmssdMs: numberAt(summary, 'avg_hrv_rmssd'), restingHeartRateBpm: numberAt(summary, 'resting_hr_bpm') };
}

function heartReadings(summary: JsonObject | undefined): (Reading | undefined)[] {
  return [
    readingAt(summary, 'avg_heart_rate', 'bpm', 'avg_hr_bpm'),
    readingAt(summary, 'max_heart_rate', 'bpm', 'max_hr_bpm'),
    readingAt(summary, 'min_heart_rate', 'bpm', 'min_hr_bpm'),
    readingAt(summary, 'hrv_sdnn', 'ms', 'avg_hrv_sdnn'),
  ];
}

function sleepParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  const durations = objectAt(item, 'sleep_durations_data');
  return {
    headlines: {
      sleepScore: numberAt(item, 'scores', 'sleep'),
      temperatureDeltaC: numberAt(item, 'temperature_data', 'delta'),
      readinessScore: numberAt(item, 'readiness_data', 'readiness'),
    },
    readings: [
      readingAt(durations, 'sleep_efficiency', 'percent', 'sleep_efficiency'),
      readingAt(durations, 'asleep_duration', 's', 'asleep', 'duration_asleep_state_seconds'),
      readingAt(durations, 'deep_sleep_duration', 's', 'asleep', 'duration_deep_sleep_state_seconds'),
      readingAt(durations, 'rem_sleep_duration', 's', 'asleep', 'duration_REM_sleep_state_seconds'),
      readingAt(durations, 'light_sleep_duration', 's', 'asleep', 'duration_light_sleep_state_seconds'),
      readingAt(durations, 'awake_duration', 's', 'awake', 'duration_awake_state_seconds'),
      readingAt(item, 'recovery_level', 'level', 'readiness_data', 'recovery_level'),
      readingAt(item, 'respiration_rate', 'breaths_per_min', 'respiration_data', 'breaths_data', 'avg_breaths_per_min'),
      readingAt(item, 'spo2', 'percent', 'respiration_data', 'oxygen_saturation_data', 'avg_saturation_percentage'),
    ],
  };
}

function dailyParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  return {
    headlines: {
      recoveryScore: numberAt(item, 'scores', 'recovery'),
      sleepScore: numberAt(item, 'scores', 'sleep'),
      stressLevel: numberAt(item, 'stress_data', 'avg_stress_level'),
    },
    readings: [
      readingAt(item, 'steps', 'count', 'distance_data', 'steps'),
      readingAt(item, 'distance', 'm', 'distance_data', 'distance_meters'),
      readingAt(item, 'total_calories', 'kcal', 'calories_data', 'total_burned_calories'),
      readingAt(item, 'active_calories', 'kcal', 'calories_data', 'net_activity_calories'),
      readingAt(item, 'activity_score', 'score', 'scores', 'activity'),
    ],
  };
}

// A body item's weigh-ins are events of their own (measurementEvents), not parts of the item's.
function bodyParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  return {
    headlines: { temperatureDeltaC: numberAt(item, 'temperature_data', 'delta') },
    readings: [
      readingAt(item, 'spo2', 'percent', 'oxygen_data', 'avg_saturation_percentage'),
      readingAt(item, 'vo2_max', 'ml_per_kg_min', 'oxygen_data', 'vo2max_ml_per_min_per_kg'),
    ],
  };
}

function activityParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  return {
    headlines: {},
    readings: [
      readingAt(item, 'steps', 'count', 'distance_data', 'summary', 'steps'),
      readingAt(item, 'distance', 'm', 'distance_data', 'summary', 'distance_meters'),
      readingAt(item, 'total_calories', 'kcal', 'calories_data', 'total_burned_calories'),
      readingAt(item, 'active_duration', 's', 'active_durations_data', 'activity_seconds'),
      readingAt(item, 'activity_type', 'code', 'metadata', 'type'),
    ],
  };
}

function nutritionParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  const macros = objectAt(item, 'summary', 'macros');
  return {
    headlines: {},
    readings: [
      readingAt(macros, 'calories', 'kcal', 'calories'),
      readingAt(macros, 'protein', 'g', 'protein_g'),
      readingAt(macros, 'carbohydrates', 'g', 'carbohydrates_g'),
      readingAt(macros, 'fat', 'g', 'fat_g'),
      readingAt(item, 'water', 'ml', 'summary', 'water_ml'),
    ],
  };
}

function menstruationParts(item: JsonObject): { headlines: Headlines; readings: (Reading | undefined)[] } {
  const data = objectAt(item, 'menstruation_data');
  return {
    headlines: {},
    readings: [readingAt(data, 'day_in_cycle', 'day', 'day_in_cycle'), readingAt(data, 'cycle_length', 'day', 'cycle_length_days')],
  };
}

const partsByType: Readonly<Record<string, (item: JsonObject) => { headlines: Headlines; readings: (Reading | undefined)[] }>> = {
  sleep: sleepParts,
  daily: dailyParts,
  body: bodyParts,
  activity: activityParts,
  nutrition: nutritionParts,
  menstruation: menstruationParts,
};

/**
 * One `data[]` item in Terra's own shape (with `metadata`): its event, and for a body item one
 * event per weigh-in besides (measurementEvents). A body item's own event is left out when it has
 * no value of its own and its weigh-ins gave events.
 */
function mapTerraItem(item: JsonObject, dataType: string, user: TerraUser, index: number, context: MappingContext): BiometricEvent[] {
  const start = timeAt(item, 'metadata', 'start_time') ?? unmappable('terra', `${dataType} item ${index} has no metadata.start_time`);
  const end = timeAt(item, 'metadata', 'end_time') ?? start;
  const summaryId = stringAt(item, 'metadata', 'summary_id');
  const identity = (dataType === 'sleep' || dataType === 'activity') && summaryId !== undefined ? ['summary', summaryId] : ['span', start, end];
  const summary = heartSummary(item, dataType);
  const parts = partsByType[dataType]!(item);
  const event = buildEvent(
    {
      source: 'TERRA',
      userId: user.userId,
      deviceType: user.provider,
      dataType,
      occurredAt: start,
      identity,
      // Type-specific headlines win over the heart summary only where both are set (none today).
      headlines: { ...heartHeadlines(summary), ...definedOnly(parts.headlines) },
      readings: [...heartReadings(summary), ...parts.readings],
    },
    context,
  );
  // The item's own event stays even without values of its own: its earlier versions carried the
  // first weigh-in as readings, and this version (received later) clears them from the row, so a
  // weigh-in is counted once, by its own event.
  const weighIns = dataType === 'body' ? measurementEvents(item, user, start, end, context) : [];
  return [event, ...weighIns];
}

/**
 * A body item's measurements (`measurements_data.measurements`), each a `body` event at its
 * `measurement_time`: an item holds every weigh-in of its window, and each is an observation of
 * its own. Identified by that time, so a weigh-in Terra sends again in another window keeps its
 * eventId; one without a time is dated and identified by its item and its place in it. A
 * measurement with none of the values mapped gives no event.
 */
function measurementEvents(item: JsonObject, user: TerraUser, start: number, end: number, context: MappingContext): BiometricEvent[] {
  const measurements = (arrayAt(item, 'measurements_data', 'measurements') ?? []).filter(isObject);
  return measurements.flatMap((measurement, place) => {
    const takenAt = timeAt(measurement, 'measurement_time');
    const event = buildEvent(
      {
        source: 'TERRA',
        userId: user.userId,
        deviceType: user.provider,
        dataType: 'body',
        occurredAt: takenAt ?? start,
        identity: takenAt === undefined ? ['span', start, end, 'measurement', place] : ['measurement', takenAt],
        readings: [
          readingAt(measurement, 'weight', 'kg', 'weight_kg'),
          readingAt(measurement, 'bmi', 'kg_per_m2', 'BMI'),
          readingAt(measurement, 'body_fat', 'percent', 'bodyfat_percentage'),
        ],
      },
      context,
    );
    return event.readings.length > 0 ? [event] : [];
  });
}

/** The seeds' inline shape: `data: [{timestamp, hrv_data: {rmssd}, heart_rate_data: {avg_hr_bpm}, body_data: {temperature_delta}}]`. */
function mapSeedItem(item: JsonObject, dataType: string, user: TerraUser, index: number, context: MappingContext) {
  const occurredAt = timeAt(item, 'timestamp') ?? unmappable('terra', `${dataType} item ${index} has neither metadata nor a timestamp`);
  return buildEvent(
    {
      source: 'TERRA',
      userId: user.userId,
      deviceType: user.provider,
      dataType,
      occurredAt,
      identity: ['seed', occurredAt],
      headlines: {
        hrvRmssdMs: numberAt(item, 'hrv_data', 'rmssd'),
        restingHeartRateBpm: numberAt(item, 'heart_rate_data', 'resting_hr_bpm'),
        sleepScore: numberAt(item, 'sleep_data', 'score') ?? numberAt(item, 'scores', 'sleep'),
        recoveryScore: numberAt(item, 'scores', 'recovery'),
        temperatureDeltaC: numberAt(item, 'body_data', 'temperature_delta'),
        stressLevel: numberAt(item, 'stress_data', 'avg_stress_level'),
      },
      readings: [readingAt(item, 'avg_heart_rate', 'bpm', 'heart_rate_data', 'avg_hr_bpm')],
    },
    context,
  );
}

function definedOnly(headlines: Headlines): Headlines {
  return Object.fromEntries(Object.entries(headlines).filter(([, v]) => v !== undefined)) as Headlines;
}

interface TerraUser {
  readonly userId: string;
  readonly provider: string | undefined;
}

/** Maps a parsed Terra document; shared by the webhook path and the Kafka-destination path. */
export function mapTerraDocument(doc: JsonObject, context: MappingContext): MappingResult {
  const type = stringAt(doc, 'type') ?? unmappable('terra', 'document has no type');
  if ((terraNonDataTypes as readonly string[]).includes(type)) return { events: [], acknowledged: `terra_${type}` };
  if (!(terraDataTypes as readonly string[]).includes(type)) unmappable('terra', `document type "${type.slice(0, 40)}" is not a known Terra event`);
  const userId = stringAt(doc, 'user', 'user_id') ?? stringAt(doc, 'user_id') ?? unmappable('terra', `${type} document has no user.user_id`);
  const user: TerraUser = { userId, provider: stringAt(doc, 'user', 'provider') };
  const data = arrayAt(doc, 'data') ?? unmappable('terra', `${type} document has no data array`);
  // Terra sends empty data arrays when a provider had nothing for the requested window.
  if (data.length === 0) return { events: [], acknowledged: `terra_${type}_empty` };
  const events = data.flatMap((item, index) => {
    if (!isObject(item)) throw new RecordError('unmappable', `terra ${type} item ${index} is not an object`);
    return objectAt(item, 'metadata') ? mapTerraItem(item, type, user, index, context) : [mapSeedItem(item, type, user, index, context)];
  });
  return { events };
}

export const terraMapping: VendorMapping = {
  source: 'TERRA',
  map: (body, context) => mapTerraDocument(objectBody(body, 'terra'), context),
};
