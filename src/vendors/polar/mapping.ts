import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type MappingResult, type VendorMapping } from '../kit/vendor-mapping.ts';
import type { Reading } from '../../events/index.ts';

/** ISO 8601 duration of Polar exercises (`PT1H2M5S`) in seconds, or undefined. */
export function isoDurationSeconds(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value);
  if (!match || (match[1] === undefined && match[2] === undefined && match[3] === undefined)) return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** A reading in seconds from an ISO 8601 duration field, or undefined when absent. */
function durationAt(doc: JsonObject, metric: string, field: string) {
  const value = isoDurationSeconds(stringAt(doc, field));
  return value === undefined ? undefined : { metric, value, unit: 's' };
}

const hasZone = (time: string) => /[zZ]|[+-]\d\d:\d\d$/.test(time);

/** A Polar time without a zone read as UTC (activity summaries say their times are UTC). */
function utcTime(value: string | undefined): number | undefined {
  const parsed = value === undefined ? NaN : Date.parse(hasZone(value) ? value : `${value}Z`);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Polar writes an exercise's start in local time with its offset apart (minutes east of UTC). */
function exerciseStart(doc: JsonObject): number {
  const local = stringAt(doc, 'start_time') ?? unmappable('polar', 'exercise has no start_time');
  const asUtc = utcTime(local) ?? unmappable('polar', 'exercise start_time is not a time');
  return hasZone(local) ? asUtc : asUtc - (numberAt(doc, 'start_time_utc_offset') ?? 0) * 60_000;
}

/** `GET /v3/exercises/{id}` → an activity event. */
function mapExercise(userId: string, doc: JsonObject, context: MappingContext) {
  return buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'activity',
      occurredAt: exerciseStart(doc),
      identity: ['exercise', stringAt(doc, 'id') ?? unmappable('polar', 'exercise has no id')],
      deviceType: stringAt(doc, 'device'),
      readings: [
        durationAt(doc, 'duration', 'duration'),
        readingAt(doc, 'energy', 'kcal', 'calories'),
        readingAt(doc, 'distance', 'm', 'distance'),
        readingAt(doc, 'avg_heart_rate', 'bpm', 'heart_rate', 'average'),
        readingAt(doc, 'max_heart_rate', 'bpm', 'heart_rate', 'maximum'),
        // Polar's own training load score (its "cardio load" of the session).
        readingAt(doc, 'training_load', 'polar_training_load', 'training_load'),
        readingAt(doc, 'running_index', 'polar_running_index', 'running-index'),
        // Energy sources of the session's calories, from devices that measure them.
        readingAt(doc, 'fat_energy_share', 'percent', 'fat_percentage'),
        readingAt(doc, 'carbohydrate_energy_share', 'percent', 'carbohydrate_percentage'),
        readingAt(doc, 'protein_energy_share', 'percent', 'protein_percentage'),
      ],
    },
    context,
  );
}

/** Average, lowest and highest of a list of heart rates (bpm), and how many there were. */
function heartRateReadings(rates: readonly number[]): Reading[] {
  if (rates.length === 0) return [];
  return [
    { metric: 'avg_heart_rate', value: rates.reduce((sum, rate) => sum + rate, 0) / rates.length, unit: 'bpm' },
    { metric: 'min_heart_rate', value: Math.min(...rates), unit: 'bpm' },
    { metric: 'max_heart_rate', value: Math.max(...rates), unit: 'bpm' },
    { metric: 'heart_rate_samples', value: rates.length, unit: 'count' },
  ];
}

/**
 * `GET /v3/users/sleep/{date}` → a sleep event; stage durations are seconds. Its
 * `heart_rate_samples` are five-minute averages keyed by clock time (`{"00:41": 76}`).
 */
function mapSleep(userId: string, doc: JsonObject, context: MappingContext) {
  const night = stringAt(doc, 'date') ?? unmappable('polar', 'sleep has no date');
  return buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'sleep',
      occurredAt: timeAt(doc, 'sleep_start_time') ?? unmappable('polar', 'sleep has no sleep_start_time'),
      identity: ['sleep', night],
      headlines: { sleepScore: numberAt(doc, 'sleep_score') },
      readings: [
        readingAt(doc, 'light_sleep_duration', 's', 'light_sleep'),
        readingAt(doc, 'deep_sleep_duration', 's', 'deep_sleep'),
        readingAt(doc, 'rem_sleep_duration', 's', 'rem_sleep'),
        readingAt(doc, 'unrecognized_sleep_duration', 's', 'unrecognized_sleep_stage'),
        readingAt(doc, 'awake_duration', 's', 'total_interruption_duration'),
        readingAt(doc, 'short_interruption_duration', 's', 'short_interruption_duration'),
        readingAt(doc, 'long_interruption_duration', 's', 'long_interruption_duration'),
        readingAt(doc, 'sleep_cycles', 'count', 'sleep_cycles'),
        readingAt(doc, 'sleep_charge', 'polar_scale', 'sleep_charge'),
        readingAt(doc, 'sleep_continuity', 'polar_scale', 'continuity'),
        ...heartRateReadings(Object.values(objectAt(doc, 'heart_rate_samples') ?? {}).filter((rate): rate is number => typeof rate === 'number' && Number.isFinite(rate))),
      ],
    },
    context,
  );
}

/** `GET /v3/users/continuous-heart-rate/{date}` → one heart_rate event of the day's samples. */
function mapContinuousHeartRate(userId: string, doc: JsonObject, context: MappingContext): MappingResult {
  const day = stringAt(doc, 'date') ?? unmappable('polar', 'continuous heart rate has no date');
  const rates = (arrayAt(doc, 'heart_rate_samples') ?? []).filter(isObject).flatMap((sample) => numberAt(sample, 'heart_rate') ?? []);
  if (rates.length === 0) return { events: [], acknowledged: 'polar_no_samples' };
  const occurredAt = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(occurredAt)) unmappable('polar', 'continuous heart rate date is not a date');
  const event = buildEvent({ source: 'POLAR', userId, dataType: 'heart_rate', occurredAt, identity: ['continuous_heart_rate', day], readings: heartRateReadings(rates) }, context);
  return { events: [event] };
}

/**
 * `GET /v3/users/activities/{date}` → the day's activity summary (start and end in UTC). Its
 * identity is the user's day, which the notification names (`date`, carried by hydrate). The
 * start's UTC date is not that day: a user who moves from UTC−5 to UTC+1 begins two local days on
 * one UTC date, and one would replace the other. Documents hydrated without the notification's
 * date fall back to the day inside `samples`, else the start's date, as they always did.
 */
function mapActivitySummary(userId: string, doc: JsonObject, context: MappingContext, notifiedDay: string | undefined) {
  const start = stringAt(doc, 'start_time');
  const occurredAt = utcTime(start) ?? unmappable('polar', 'activity summary has no start_time');
  const day = notifiedDay ?? stringAt(doc, 'samples', 'date') ?? start!.slice(0, 10);
  return buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'daily',
      occurredAt,
      identity: ['activity_summary', day],
      readings: [
        readingAt(doc, 'steps', 'count', 'steps'),
        readingAt(doc, 'energy', 'kcal', 'calories'),
        readingAt(doc, 'active_energy', 'kcal', 'active_calories'),
        readingAt(doc, 'distance', 'm', 'distance_from_steps'),
        durationAt(doc, 'active_duration', 'active_duration'),
        durationAt(doc, 'inactive_duration', 'inactive_duration'),
        readingAt(doc, 'daily_activity', 'percent', 'daily_activity'),
        readingAt(doc, 'inactivity_alerts', 'count', 'inactivity_alert_count'),
      ],
    },
    context,
  );
}

/**
 * `GET /v3/users/physical-info` → the user's body settings as of their last change. Its resting
 * and maximum heart rates are profile values, not a night's measurement: readings, not headlines.
 */
function mapPhysicalInformation(userId: string, doc: JsonObject, context: MappingContext) {
  const changed = stringAt(doc, 'modified') ?? stringAt(doc, 'created') ?? unmappable('polar', 'physical information has no modified or created time');
  const height = numberAt(doc, 'height');
  return buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'body',
      occurredAt: utcTime(changed) ?? unmappable('polar', 'physical information modified is not a time'),
      identity: ['physical_information', changed],
      readings: [
        readingAt(doc, 'weight', 'kg', 'weight'),
        height === undefined ? undefined : { metric: 'height', value: height / 100, unit: 'm' }, // Polar gives cm
        readingAt(doc, 'resting_heart_rate', 'bpm', 'resting_heart_rate'),
        readingAt(doc, 'max_heart_rate', 'bpm', 'maximum_heart_rate'),
        readingAt(doc, 'aerobic_threshold', 'bpm', 'aerobic_threshold'),
        readingAt(doc, 'anaerobic_threshold', 'bpm', 'anaerobic_threshold'),
        readingAt(doc, 'vo2_max', 'ml_per_kg_min', 'vo2_max'),
      ],
    },
    context,
  );
}

/** SleepWise alertness and circadian bedtime are Polar's predictions for the days ahead, not measurements. */
const prediction = (): MappingResult => ({ events: [], acknowledged: 'polar_sleep_wise_prediction' });

/** A hydrated document's mapping; `notifiedDay` is the notification's `date`, where it named one. */
type DocumentMapping = (userId: string, doc: JsonObject, context: MappingContext, notifiedDay: string | undefined) => MappingResult;

const hydratedEvents: Readonly<Record<string, DocumentMapping>> = {
  EXERCISE: (userId, doc, context) => ({ events: [mapExercise(userId, doc, context)] }),
  SLEEP: (userId, doc, context) => ({ events: [mapSleep(userId, doc, context)] }),
  CONTINUOUS_HEART_RATE: mapContinuousHeartRate,
  ACTIVITY_SUMMARY: (userId, doc, context, notifiedDay) => ({ events: [mapActivitySummary(userId, doc, context, notifiedDay)] }),
  PHYSICAL_INFORMATION: (userId, doc, context) => ({ events: [mapPhysicalInformation(userId, doc, context)] }),
  SLEEP_WISE_ALERTNESS: prediction,
  SLEEP_WISE_CIRCADIAN_BEDTIME: prediction,
};

/**
 * Polar AccessLink notifications `{event, user_id, entity_id|date, timestamp, url}` point at the
 * data (`url`): they need hydration, and normalize maps what hydrate fetched, `{user_id, event,
 * date?, document}` (src/hydrate/polar.ts). PING only announces the webhook and is acknowledged, as are
 * SleepWise predictions. A kind the bridge does not know is a dead letter naming it, redrivable
 * once it is mapped.
 */
export const polarMapping: VendorMapping = {
  source: 'POLAR',
  map(body, context) {
    const json = objectBody(body, 'polar');
    const event = stringAt(json, 'event') ?? unmappable('polar', 'notification has no event');
    if (event === 'PING') return { events: [], acknowledged: 'polar_ping' };
    const userId = stringAt(json, 'user_id') ?? unmappable('polar', `${event.slice(0, 40)} notification has no user_id`);
    const document = objectAt(json, 'document');
    if (document === undefined) return needsHydration('polar', `${event.slice(0, 40)} notification`);
    const mapDocument = hydratedEvents[event] ?? unmappable('polar', `${event.slice(0, 40)} documents are not mapped to events`);
    return mapDocument(userId, document, context, stringAt(json, 'date'));
  },
};
