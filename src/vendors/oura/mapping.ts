import { numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, needsHydration, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Oura webhooks name a changed object (`{event_type, data_type, object_id, event_time, user_id}`);
 * its data lives behind the v2 API, so they need hydration. The seeds' senders post an inline,
 * Oura-like document (`{user_id, timestamp, hrv_data: {rmssd}, sleep: {score}, recovery: {score}}`),
 * which maps directly.
 */
function mapSeedDocument(body: JsonObject, context: MappingContext) {
  const userId = stringAt(body, 'user_id') ?? unmappable('oura', 'document has no user_id');
  const occurredAt = timeAt(body, 'timestamp') ?? unmappable('oura', 'document has no usable timestamp');
  const event = buildEvent(
    {
      source: 'OURA',
      userId,
      dataType: 'daily',
      occurredAt,
      identity: ['seed', occurredAt],
      headlines: {
        hrvRmssdMs: numberAt(body, 'hrv_data', 'rmssd'),
        sleepScore: numberAt(body, 'sleep', 'score'),
        recoveryScore: numberAt(body, 'recovery', 'score'),
        readinessScore: numberAt(body, 'readiness', 'score'),
        restingHeartRateBpm: numberAt(body, 'heart_rate', 'resting'),
        temperatureDeltaC: numberAt(body, 'temperature', 'delta'),
      },
    },
    context,
  );
  return { events: [event] };
}

export const ouraMapping: VendorMapping = {
  source: 'OURA',
  map(body, context) {
    const json = objectBody(body, 'oura');
    if (typeof json['object_id'] === 'string' || typeof json['data_type'] === 'string') {
      needsHydration('oura', `${stringAt(json, 'event_type') ?? 'unknown'} notification for ${stringAt(json, 'data_type') ?? 'unknown data type'}`);
    }
    if (objectAt(json, 'hrv_data') || objectAt(json, 'sleep') || objectAt(json, 'recovery') || objectAt(json, 'readiness')) {
      return mapSeedDocument(json, context);
    }
    return unmappable('oura', 'body is neither a webhook notification nor an inline document');
  },
};
