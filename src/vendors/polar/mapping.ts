import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type MappingResult, type VendorMapping } from '../kit/vendor-mapping.ts';

/** ISO 8601 duration of Polar exercises (`PT1H2M5S`) in seconds, or undefined. */
export function isoDurationSeconds(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value);
  if (!match || (match[1] === undefined && match[2] === undefined && match[3] === undefined)) return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** Polar writes an exercise's start in local time with its offset apart (minutes east of UTC). */
function exerciseStart(doc: JsonObject): number {
  const local = stringAt(doc, 'start_time') ?? unmappable('polar', 'exercise has no start_time');
  const asUtc = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(local) ? local : `${local}Z`);
  if (Number.isNaN(asUtc)) unmappable('polar', 'exercise start_time is not a time');
  return /[zZ]|[+-]\d\d:\d\d$/.test(local) ? asUtc : asUtc - (numberAt(doc, 'start_time_utc_offset') ?? 0) * 60_000;
}

/** `GET /v3/exercises/{id}` → an activity event. */
function mapExercise(userId: string, doc: JsonObject, context: MappingContext) {
  const duration = isoDurationSeconds(stringAt(doc, 'duration'));
  return buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'activity',
      occurredAt: exerciseStart(doc),
      identity: ['exercise', stringAt(doc, 'id') ?? unmappable('polar', 'exercise has no id')],
      deviceType: stringAt(doc, 'device'),
      readings: [
        duration === undefined ? undefined : { metric: 'duration', value: duration, unit: 's' },
        readingAt(doc, 'energy', 'kcal', 'calories'),
        readingAt(doc, 'distance', 'm', 'distance'),
        readingAt(doc, 'avg_heart_rate', 'bpm', 'heart_rate', 'average'),
        readingAt(doc, 'max_heart_rate', 'bpm', 'heart_rate', 'maximum'),
        // Polar's own training load score (its "cardio load" of the session).
        readingAt(doc, 'training_load', 'polar_training_load', 'training_load'),
      ],
    },
    context,
  );
}

/** `GET /v3/users/sleep/{date}` → a sleep event; stage durations are seconds. */
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
        readingAt(doc, 'awake_duration', 's', 'total_interruption_duration'),
        readingAt(doc, 'sleep_charge', 'polar_scale', 'sleep_charge'),
        readingAt(doc, 'sleep_continuity', 'polar_scale', 'continuity'),
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
  const event = buildEvent(
    {
      source: 'POLAR',
      userId,
      dataType: 'heart_rate',
      occurredAt,
      identity: ['continuous_heart_rate', day],
      readings: [
        { metric: 'avg_heart_rate', value: rates.reduce((sum, rate) => sum + rate, 0) / rates.length, unit: 'bpm' },
        { metric: 'min_heart_rate', value: Math.min(...rates), unit: 'bpm' },
        { metric: 'max_heart_rate', value: Math.max(...rates), unit: 'bpm' },
        { metric: 'heart_rate_samples', value: rates.length, unit: 'count' },
      ],
    },
    context,
  );
  return { events: [event] };
}

const hydratedEvents: Readonly<Record<string, (userId: string, doc: JsonObject, context: MappingContext) => MappingResult>> = {
  EXERCISE: (userId, doc, context) => ({ events: [mapExercise(userId, doc, context)] }),
  SLEEP: (userId, doc, context) => ({ events: [mapSleep(userId, doc, context)] }),
  CONTINUOUS_HEART_RATE: mapContinuousHeartRate,
};

/**
 * Polar AccessLink notifications `{event, user_id, entity_id|date, timestamp, url}` point at the
 * data (`url`): they need hydration, and normalize maps what hydrate fetched, `{user_id, event,
 * document}` (src/hydrate/polar.ts). PING only announces the webhook and is acknowledged. A
 * document kind the bridge does not map yet is a dead letter naming it, redrivable once it is.
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
    return mapDocument(userId, document, context);
  },
};
