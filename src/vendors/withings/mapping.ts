import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type MappingResult, type VendorMapping } from '../kit/vendor-mapping.ts';
import type { BiometricEvent, Reading } from '../../events/index.ts';

/** Withings appli codes (notification categories), for a readable dead-letter detail. */
const appli: Readonly<Record<string, string>> = { '1': 'weight', '2': 'temperature', '4': 'pressure', '16': 'activity', '44': 'sleep', '46': 'user', '50': 'bed_in', '51': 'bed_out', '54': 'ecg', '62': 'hrv' };

/** Measure types of `getmeas` (Withings API reference, measure type table) → reading name and unit. */
const measureTypes: Readonly<Record<number, { metric: string; unit: string }>> = {
  1: { metric: 'weight', unit: 'kg' },
  4: { metric: 'height', unit: 'm' },
  5: { metric: 'fat_free_mass', unit: 'kg' },
  6: { metric: 'fat_ratio', unit: 'percent' },
  8: { metric: 'fat_mass', unit: 'kg' },
  9: { metric: 'diastolic_blood_pressure', unit: 'mmHg' },
  10: { metric: 'systolic_blood_pressure', unit: 'mmHg' },
  11: { metric: 'heart_rate', unit: 'bpm' },
  12: { metric: 'temperature', unit: 'celsius' },
  54: { metric: 'spo2', unit: 'percent' },
  71: { metric: 'body_temperature', unit: 'celsius' },
  73: { metric: 'skin_temperature', unit: 'celsius' },
  76: { metric: 'muscle_mass', unit: 'kg' },
  77: { metric: 'hydration', unit: 'kg' },
  88: { metric: 'bone_mass', unit: 'kg' },
  91: { metric: 'pulse_wave_velocity', unit: 'm/s' },
  123: { metric: 'vo2_max', unit: 'ml_per_kg_min' },
  155: { metric: 'vascular_age', unit: 'years' },
  168: { metric: 'extracellular_water', unit: 'kg' },
  169: { metric: 'intracellular_water', unit: 'kg' },
  170: { metric: 'visceral_fat', unit: 'index' }, // "without unity"
};

/**
 * A measure's real value is `value × 10^unit` (72345 and -3 → 72.345 kg). Dividing by the power
 * of ten keeps decimal values exact where multiplying by 10^-n would not (3675 × 0.01 ≠ 36.75 in
 * binary floating point for every value). Undefined when the unit puts it out of a double's range
 * (unit 400: Infinity, or NaN for a zero; unit -400: a measure turned into 0), which is no
 * measurement a device took.
 */
export function realValue(value: number, unit: number): number | undefined {
  const real = unit < 0 ? value / 10 ** -unit : value * 10 ** unit;
  return Number.isFinite(real) && (real !== 0 || value === 0) ? real : undefined;
}

/** `measuregrps[]` of getmeas (appli 1 and 4): one body event per group of real measures. */
function mapMeasureGroups(userId: string, document: JsonObject, context: MappingContext): MappingResult {
  // Category 2 groups are the user's objectives, not measurements.
  const groups = (arrayAt(document, 'measuregrps') ?? []).filter(isObject).filter((group) => numberAt(group, 'category') !== 2);
  const events = groups.flatMap((group) => {
    const readings: Reading[] = (arrayAt(group, 'measures') ?? []).filter(isObject).flatMap((measure) => {
      const type = numberAt(measure, 'type') ?? -1;
      const kind = measureTypes[type];
      const value = numberAt(measure, 'value');
      if (kind === undefined || value === undefined) return [];
      const unit = numberAt(measure, 'unit') ?? 0;
      const real = realValue(value, unit) ?? unmappable('withings', `measure type ${type} has unit ${unit}, which puts value × 10^unit out of range`);
      return [{ ...kind, value: real }];
    });
    if (readings.length === 0) return [];
    const taken = timeAt(group, 'date') ?? unmappable('withings', 'measure group has no date');
    return [
      buildEvent(
        {
          source: 'WITHINGS',
          userId,
          dataType: 'body',
          occurredAt: taken,
          identity: ['measuregrp', stringAt(group, 'grpid') ?? unmappable('withings', 'measure group has no grpid')],
          deviceType: stringAt(group, 'model'),
          readings,
        },
        context,
      ),
    ];
  });
  return events.length > 0 ? { events } : { events: [], acknowledged: 'withings_no_measures' };
}

/** One event per object of `document[key]`; none at all is a window without data, acknowledged. */
function eachItem(document: JsonObject, key: string, acknowledged: string, build: (item: JsonObject) => BiometricEvent): MappingResult {
  const events = (arrayAt(document, key) ?? []).filter(isObject).map(build);
  return events.length > 0 ? { events } : { events: [], acknowledged };
}

/** The first of `fields` Withings filled, as one reading (it renamed some and keeps the old names). */
function firstReadingAt(data: JsonObject, metric: string, unit: string, ...fields: string[]): Reading | undefined {
  return fields.map((field) => readingAt(data, metric, unit, field)).find((r) => r !== undefined);
}

/**
 * Sleep efficiency as the percentage of time in bed spent asleep, from the two durations it is
 * defined by: Withings' own `sleep_efficiency` is documented as a ratio yet shown as a percentage
 * in examples, so its scale is not certain.
 */
function sleepEfficiency(data: JsonObject): Reading | undefined {
  const asleep = numberAt(data, 'total_sleep_time');
  const inBed = numberAt(data, 'total_timeinbed');
  return asleep === undefined || inBed === undefined || inBed <= 0 ? undefined : { metric: 'sleep_efficiency', value: (asleep / inBed) * 100, unit: 'percent' };
}

/** `series[]` of sleep v2 getsummary (appli 44): one sleep event per night; durations are seconds. */
function mapSleepSummaries(userId: string, document: JsonObject, context: MappingContext): MappingResult {
  return eachItem(document, 'series', 'withings_no_sleep', (night) => {
    const data = objectAt(night, 'data') ?? {};
    return buildEvent(
      {
        source: 'WITHINGS',
        userId,
        dataType: 'sleep',
        occurredAt: timeAt(night, 'startdate') ?? unmappable('withings', 'sleep summary has no startdate'),
        identity: ['sleep', stringAt(night, 'id') ?? unmappable('withings', 'sleep summary has no id')],
        headlines: { sleepScore: numberAt(data, 'sleep_score') },
        readings: [
          readingAt(data, 'time_in_bed', 's', 'total_timeinbed'),
          // `asleepduration` stands for the total when the night comes from another source (no stages).
          firstReadingAt(data, 'sleep_duration', 's', 'total_sleep_time', 'asleepduration'),
          sleepEfficiency(data),
          readingAt(data, 'light_sleep_duration', 's', 'lightsleepduration'),
          readingAt(data, 'deep_sleep_duration', 's', 'deepsleepduration'),
          readingAt(data, 'rem_sleep_duration', 's', 'remsleepduration'),
          readingAt(data, 'awake_duration', 's', 'wakeupduration'),
          readingAt(data, 'waso', 's', 'waso'),
          readingAt(data, 'wakeup_count', 'count', 'wakeupcount'),
          readingAt(data, 'out_of_bed_count', 'count', 'out_of_bed_count'),
          readingAt(data, 'rem_episodes', 'count', 'nb_rem_episodes'),
          firstReadingAt(data, 'sleep_latency', 's', 'sleep_latency', 'durationtosleep'),
          firstReadingAt(data, 'wakeup_latency', 's', 'wakeup_latency', 'durationtowakeup'),
          readingAt(data, 'avg_heart_rate', 'bpm', 'hr_average'),
          readingAt(data, 'min_heart_rate', 'bpm', 'hr_min'),
          readingAt(data, 'max_heart_rate', 'bpm', 'hr_max'),
          readingAt(data, 'respiratory_rate', 'breaths_per_min', 'rr_average'),
          readingAt(data, 'min_respiratory_rate', 'breaths_per_min', 'rr_min'),
          readingAt(data, 'max_respiratory_rate', 'breaths_per_min', 'rr_max'),
          // RMSSD averaged at the start and at the end of the night, not over it: readings, no headline.
          readingAt(data, 'hrv_rmssd_start', 'ms', 'rmssd_start_avg'),
          readingAt(data, 'hrv_rmssd_end', 'ms', 'rmssd_end_avg'),
          readingAt(data, 'breathing_disturbances', 'index', 'breathing_disturbances_intensity'),
          readingAt(data, 'apnea_hypopnea_index', 'events_per_hour', 'apnea_hypopnea_index'),
          readingAt(data, 'snoring_duration', 's', 'snoring'),
          readingAt(data, 'snoring_episodes', 'count', 'snoringepisodecount'),
          readingAt(data, 'core_body_temperature', 'celsius', 'core_body_temperature_avg'),
        ],
      },
      context,
    );
  });
}

/** `activities[]` of measure v2 getactivity (appli 16): one activity event per day. */
function mapActivities(userId: string, document: JsonObject, context: MappingContext): MappingResult {
  return eachItem(document, 'activities', 'withings_no_activity', (day) => {
    const date = stringAt(day, 'date') ?? unmappable('withings', 'activity has no date');
    const occurredAt = Date.parse(`${date}T00:00:00Z`);
    if (Number.isNaN(occurredAt)) unmappable('withings', 'activity date is not a date');
    return buildEvent(
      {
        source: 'WITHINGS',
        userId,
        dataType: 'activity',
        occurredAt,
        identity: ['activity', date],
        readings: [
          readingAt(day, 'steps', 'count', 'steps'),
          readingAt(day, 'distance', 'm', 'distance'),
          readingAt(day, 'floors', 'count', 'elevation'), // "number of floors climbed"
          readingAt(day, 'active_energy', 'kcal', 'calories'),
          readingAt(day, 'energy', 'kcal', 'totalcalories'),
          readingAt(day, 'soft_activity_duration', 's', 'soft'),
          readingAt(day, 'moderate_activity_duration', 's', 'moderate'),
          readingAt(day, 'intense_activity_duration', 's', 'intense'),
          readingAt(day, 'active_duration', 's', 'active'),
          readingAt(day, 'avg_heart_rate', 'bpm', 'hr_average'),
          readingAt(day, 'min_heart_rate', 'bpm', 'hr_min'),
          readingAt(day, 'max_heart_rate', 'bpm', 'hr_max'),
        ],
      },
      context,
    );
  });
}

const hydrated: Readonly<Record<string, (userId: string, document: JsonObject, context: MappingContext) => MappingResult>> = {
  '1': mapMeasureGroups,
  '4': mapMeasureGroups,
  '16': mapActivities,
  '44': mapSleepSummaries,
};

/**
 * Withings notifications `userid, appli, startdate, enddate` only say that data changed in a
 * window: they need hydration. Normalize maps what hydrate fetched for the window, `{user_id,
 * appli, startdate, enddate, document}` (src/hydrate/withings.ts).
 */
export const withingsMapping: VendorMapping = {
  source: 'WITHINGS',
  // Form fields or JSON, as the declared content type decided (bodyFormats in ./index.ts).
  map(body, context) {
    const form = objectBody(body, 'withings');
    const document = objectAt(form, 'document');
    if (document !== undefined) {
      const userId = stringAt(form, 'user_id') ?? unmappable('withings', 'hydrated document has no user_id');
      const code = stringAt(form, 'appli') ?? '';
      const mapDocument = hydrated[code] ?? unmappable('withings', `appli ${code.slice(0, 8)} documents are not mapped to events`);
      return mapDocument(userId, document, context);
    }
    if (form['userid'] === undefined || form['userid'] === '') unmappable('withings', 'notification has no userid');
    const category = appli[String(form['appli'])] ?? `appli ${String(form['appli'] ?? 'missing').slice(0, 8)}`;
    return needsHydration('withings', `${category} notification`);
  },
};
