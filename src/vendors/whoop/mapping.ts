import { numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, deletedDocument, deletionEvent, needsHydration, readingAt, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * WHOOP webhooks (model v2) carry `{user_id, id, type, trace_id}` only: they need hydration.
 * The hydrate stage hands over the documents WHOOP serves, which map directly: a recovery
 * (`GET /v2/cycle/{id}/recovery`), a sleep (`GET /v2/activity/sleep/{id}`) or a workout
 * (`GET /v2/activity/workout/{id}`). Sleeps and workouts share `id`, `start` and `score`; only a
 * sleep's score has `stage_summary`, only a workout's has `strain`.
 */
function mapRecovery(doc: JsonObject, context: MappingContext) {
  const userId = stringAt(doc, 'user_id') ?? unmappable('whoop', 'recovery has no user_id');
  const sleepId = stringAt(doc, 'sleep_id') ?? stringAt(doc, 'cycle_id') ?? unmappable('whoop', 'recovery has no sleep_id or cycle_id');
  const occurredAt = timeAt(doc, 'created_at') ?? unmappable('whoop', 'recovery has no created_at');
  return buildEvent(
    {
      source: 'WHOOP',
      userId,
      dataType: 'recovery',
      occurredAt,
      identity: [sleepId],
      headlines: {
        recoveryScore: numberAt(doc, 'score', 'recovery_score'),
        restingHeartRateBpm: numberAt(doc, 'score', 'resting_heart_rate'),
        hrvRmssdMs: numberAt(doc, 'score', 'hrv_rmssd_milli'),
      },
      readings: [
        readingAt(doc, 'spo2', 'percent', 'score', 'spo2_percentage'),
        readingAt(doc, 'skin_temperature', 'celsius', 'score', 'skin_temp_celsius'),
      ],
    },
    context,
  );
}

/** What a sleep and a workout both carry: their user, their id (the event's identity) and start. */
function activityOf(doc: JsonObject, kind: 'sleep' | 'workout') {
  return {
    source: 'WHOOP' as const,
    userId: stringAt(doc, 'user_id') ?? unmappable('whoop', `${kind} has no user_id`),
    identity: [stringAt(doc, 'id') ?? unmappable('whoop', `${kind} has no id`)],
    occurredAt: timeAt(doc, 'start') ?? unmappable('whoop', `${kind} has no start`),
  };
}

/**
 * A sleep; a nap (`nap: true`) is not the night: its performance (sleep had against sleep needed)
 * is low by nature, so it is a reading, `sleep_performance`, which no rule judges, not the
 * headline `sleepScore` the sleep rules judge. The night's HRV and resting heart rate come with
 * its recovery, which WHOOP makes for the cycle's main sleep only.
 */
function mapSleep(doc: JsonObject, context: MappingContext) {
  const stages = 'stage_summary';
  const nap = doc['nap'] === true;
  return buildEvent(
    {
      ...activityOf(doc, 'sleep'),
      dataType: 'sleep',
      headlines: nap ? {} : { sleepScore: numberAt(doc, 'score', 'sleep_performance_percentage') },
      readings: [
        nap ? readingAt(doc, 'sleep_performance', 'percent', 'score', 'sleep_performance_percentage') : undefined,
        readingAt(doc, 'sleep_efficiency', 'percent', 'score', 'sleep_efficiency_percentage'),
        readingAt(doc, 'respiratory_rate', 'breaths_per_min', 'score', 'respiratory_rate'),
        readingAt(doc, 'in_bed_duration', 'ms', 'score', stages, 'total_in_bed_time_milli'),
        readingAt(doc, 'deep_sleep_duration', 'ms', 'score', stages, 'total_slow_wave_sleep_time_milli'),
        readingAt(doc, 'rem_sleep_duration', 'ms', 'score', stages, 'total_rem_sleep_time_milli'),
        readingAt(doc, 'light_sleep_duration', 'ms', 'score', stages, 'total_light_sleep_time_milli'),
        readingAt(doc, 'awake_duration', 'ms', 'score', stages, 'total_awake_time_milli'),
      ],
    },
    context,
  );
}

function mapWorkout(doc: JsonObject, context: MappingContext) {
  return buildEvent(
    {
      ...activityOf(doc, 'workout'),
      dataType: 'activity',
      readings: [
        // WHOOP's strain is its own 0–21 scale of cardiovascular load.
        readingAt(doc, 'strain', 'whoop_strain', 'score', 'strain'),
        readingAt(doc, 'avg_heart_rate', 'bpm', 'score', 'average_heart_rate'),
        readingAt(doc, 'max_heart_rate', 'bpm', 'score', 'max_heart_rate'),
        readingAt(doc, 'energy', 'kj', 'score', 'kilojoule'),
        readingAt(doc, 'distance', 'm', 'score', 'distance_meter'),
      ],
    },
    context,
  );
}

/**
 * WHOOP serves a recovery, sleep or workout before it has scored it (`PENDING_SCORE`), and some it
 * cannot score (`UNSCORABLE`): valid documents without a `score`, so without biometrics. They are
 * acknowledged; the scored version follows as another `.updated` notification.
 */
const unscoredStates = new Set(['PENDING_SCORE', 'UNSCORABLE']);

export const whoopMapping: VendorMapping = {
  source: 'WHOOP',
  map(body, context) {
    const json = objectBody(body, 'whoop');
    if (unscoredStates.has(stringAt(json, 'score_state') ?? '')) return { events: [], acknowledged: 'whoop_not_scored' };
    const type = stringAt(json, 'type');
    if (type !== undefined && stringAt(json, 'id') !== undefined && objectAt(json, 'score') === undefined) {
      needsHydration('whoop', `${type} notification`);
    }
    if (numberAt(json, 'score', 'recovery_score') !== undefined) {
      return { events: [mapRecovery(json, context)] };
    }
    if (stringAt(json, 'start') !== undefined) {
      if (objectAt(json, 'score', 'stage_summary') !== undefined) return { events: [mapSleep(json, context)] };
      if (numberAt(json, 'score', 'strain') !== undefined) return { events: [mapWorkout(json, context)] };
    }
    return unmappable('whoop', 'body is neither a webhook notification nor a recovery, sleep or workout document');
  },
  mapDeletion(deletion, context) {
    const { userId, type, id } = deletedDocument('whoop', deletion);
    const dataType = deletedDataTypes[type] ?? unmappable('whoop', `deletion of unknown resource ${type}`);
    // A recovery event's identity is its sleep's UUID (mapRecovery); a model v1 recovery deletion
    // names a numeric cycle id instead, which names no event the bridge wrote.
    if (type === 'recovery' && /^\d+$/.test(id)) unmappable('whoop', 'recovery deletion names a cycle id (model v1), not the sleep UUID the event was keyed by');
    return { events: [deletionEvent({ source: 'WHOOP', userId, dataType, identity: [id] }, context)] };
  },
};

/** The event data type each WHOOP resource maps to (mapRecovery, mapSleep, mapWorkout). */
const deletedDataTypes: Readonly<Record<string, string>> = { recovery: 'recovery', sleep: 'sleep', workout: 'activity' };
