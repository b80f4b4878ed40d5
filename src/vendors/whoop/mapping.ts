import { numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, readingAt, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * WHOOP webhooks (model v2) carry `{user_id, id, type, trace_id}` only: they need hydration.
 * A hydrated recovery (`GET /v2/cycle/{id}/recovery`) or sleep document maps directly, so the
 * future hydrate step can hand its fetch results to this same mapping.
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

function mapSleep(doc: JsonObject, context: MappingContext) {
  const userId = stringAt(doc, 'user_id') ?? unmappable('whoop', 'sleep has no user_id');
  const id = stringAt(doc, 'id') ?? unmappable('whoop', 'sleep has no id');
  const occurredAt = timeAt(doc, 'start') ?? unmappable('whoop', 'sleep has no start');
  const stages = 'stage_summary';
  return buildEvent(
    {
      source: 'WHOOP',
      userId,
      dataType: 'sleep',
      occurredAt,
      identity: [id],
      headlines: { sleepScore: numberAt(doc, 'score', 'sleep_performance_percentage') },
      readings: [
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

export const whoopMapping: VendorMapping = {
  source: 'WHOOP',
  map(body, context) {
    const json = objectBody(body, 'whoop');
    const type = stringAt(json, 'type');
    if (type !== undefined && stringAt(json, 'id') !== undefined && objectAt(json, 'score') === undefined) {
      needsHydration('whoop', `${type} notification`);
    }
    if (numberAt(json, 'score', 'recovery_score') !== undefined) {
      return { events: [mapRecovery(json, context)] };
    }
    if (objectAt(json, 'score') && stringAt(json, 'start') !== undefined) return { events: [mapSleep(json, context)] };
    return unmappable('whoop', 'body is neither a webhook notification nor a recovery or sleep document');
  },
};
