import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, type JsonObject } from '../kit/payload-fields.ts';
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
};

/** `measuregrps[]` of getmeas (appli 1 and 4): one body event per group of real measures. */
function mapMeasureGroups(userId: string, document: JsonObject, context: MappingContext): MappingResult {
  // Category 2 groups are the user's objectives, not measurements.
  const groups = (arrayAt(document, 'measuregrps') ?? []).filter(isObject).filter((group) => numberAt(group, 'category') !== 2);
  const events = groups.flatMap((group) => {
    // A value is `value × 10^unit` (e.g. 72345 and -3 → 72.345 kg).
    const readings: Reading[] = (arrayAt(group, 'measures') ?? []).filter(isObject).flatMap((measure) => {
      const kind = measureTypes[numberAt(measure, 'type') ?? -1];
      const value = numberAt(measure, 'value');
      return kind === undefined || value === undefined ? [] : [{ ...kind, value: value * 10 ** (numberAt(measure, 'unit') ?? 0) }];
    });
    if (readings.length === 0) return [];
    const taken = numberAt(group, 'date') ?? unmappable('withings', 'measure group has no date');
    return [
      buildEvent(
        {
          source: 'WITHINGS',
          userId,
          dataType: 'body',
          occurredAt: taken * 1000,
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

/** `series[]` of sleep v2 getsummary (appli 44): one sleep event per night; durations are seconds. */
function mapSleepSummaries(userId: string, document: JsonObject, context: MappingContext): MappingResult {
  return eachItem(document, 'series', 'withings_no_sleep', (night) => {
    const data = objectAt(night, 'data') ?? {};
    return buildEvent(
      {
        source: 'WITHINGS',
        userId,
        dataType: 'sleep',
        occurredAt: (numberAt(night, 'startdate') ?? unmappable('withings', 'sleep summary has no startdate')) * 1000,
        identity: ['sleep', stringAt(night, 'id') ?? unmappable('withings', 'sleep summary has no id')],
        headlines: { sleepScore: numberAt(data, 'sleep_score') },
        readings: [
          readingAt(data, 'light_sleep_duration', 's', 'lightsleepduration'),
          readingAt(data, 'deep_sleep_duration', 's', 'deepsleepduration'),
          readingAt(data, 'rem_sleep_duration', 's', 'remsleepduration'),
          readingAt(data, 'awake_duration', 's', 'wakeupduration'),
          readingAt(data, 'wakeup_count', 'count', 'wakeupcount'),
          readingAt(data, 'sleep_latency', 's', 'durationtosleep'),
          readingAt(data, 'avg_heart_rate', 'bpm', 'hr_average'),
          readingAt(data, 'min_heart_rate', 'bpm', 'hr_min'),
          readingAt(data, 'respiratory_rate', 'breaths_per_min', 'rr_average'),
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
          readingAt(day, 'active_energy', 'kcal', 'calories'),
          readingAt(day, 'energy', 'kcal', 'totalcalories'),
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
