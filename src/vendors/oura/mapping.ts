import { arrayAt, isObject, numberAt, objectAt, objectBody, stringAt, timeAt, type JsonObject } from '../kit/payload-fields.ts';
import { buildEvent, deletedDocument, deletionEvent, needsHydration, readingAt, unmappable, type MappingContext, type VendorMapping } from '../kit/vendor-mapping.ts';

/**
 * Oura webhooks name a changed object (`{event_type, data_type, object_id, event_time, user_id}`);
 * its data lives behind the v2 API, so the hydrate stage fetches it and normalize maps what it
 * fetched (mapHydrated); a notification that reaches normalize unhydrated needs hydration. The seeds' senders post an inline,
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

/** Oura's data types → the event vocabulary (docs/design.md §4); others keep Oura's name. */
const dataTypes: Readonly<Record<string, string>> = { daily_sleep: 'sleep', sleep: 'sleep', daily_readiness: 'readiness', daily_activity: 'activity' } satisfies Record<OuraMappedDataType, string>;

/**
 * The Oura data types that map to events: the bridge subscribes to these, hydrates and backfills
 * them, and leaves the others (workout, session, daily_spo2, …) alone until they have a mapping.
 */
export const ouraMappedDataTypes = ['daily_sleep', 'daily_readiness', 'daily_activity', 'sleep'] as const;
export type OuraMappedDataType = (typeof ouraMappedDataTypes)[number];

/** The deletion of the event a document gave: the same data type and identity as mapping it. */
function retraction(userId: string, type: string, id: string, context: MappingContext) {
  return deletionEvent({ source: 'OURA', userId, dataType: dataTypes[type] ?? type, identity: [type, id] }, context);
}

/**
 * A sleep period (`GET /v2/usercollection/sleep/{id}`), dated by its start as every vendor's sleep
 * is. Only the night, the period of type `long_sleep`, carries the HRV and resting heart rate
 * headlines the rules judge and the baselines count: the `daily_sleep` of that night carries its
 * score alone, else the night was judged twice, as two events on what are often two UTC days. A
 * nap (`late_nap`, `rest`, or `sleep`, Oura's short period) is not the night: its HRV and lowest
 * heart rate are readings. A period of type `deleted` is no data: it is the deletion of its event.
 */
function mapSleepPeriod(userId: string, period: JsonObject, context: MappingContext) {
  const id = stringAt(period, 'id') ?? unmappable('oura', 'sleep document has no id');
  const type = stringAt(period, 'type');
  // Oura keeps a period the user deleted as type `deleted`: it retracts the event the period gave.
  if (type === 'deleted') return retraction(userId, 'sleep', id, context);
  const night = type === 'long_sleep';
  return buildEvent(
    {
      source: 'OURA',
      userId,
      dataType: 'sleep',
      occurredAt: timeAt(period, 'bedtime_start') ?? unmappable('oura', 'sleep document has no bedtime_start'),
      identity: ['sleep', id],
      headlines: night ? { hrvRmssdMs: numberAt(period, 'average_hrv'), restingHeartRateBpm: numberAt(period, 'lowest_heart_rate') } : {},
      readings: night ? [] : [readingAt(period, 'hrv_rmssd', 'ms', 'average_hrv'), readingAt(period, 'min_heart_rate', 'bpm', 'lowest_heart_rate')],
    },
    context,
  );
}

/** A daily document (`daily_sleep`, `daily_readiness`, …): its score and temperature, on its day. */
function mapDailyDocument(userId: string, dataType: string, doc: JsonObject, context: MappingContext) {
  const id = stringAt(doc, 'id') ?? unmappable('oura', `${dataType} document has no id`);
  return buildEvent(
    {
      source: 'OURA',
      userId,
      dataType: dataTypes[dataType] ?? dataType,
      occurredAt: timeAt(doc, 'timestamp') ?? unmappable('oura', `${dataType} document has no timestamp`),
      identity: [dataType, id],
      headlines: {
        sleepScore: dataType === 'daily_sleep' ? numberAt(doc, 'score') : undefined,
        readinessScore: dataType === 'daily_readiness' ? numberAt(doc, 'score') : undefined,
        temperatureDeltaC: numberAt(doc, 'temperature_deviation'),
      },
    },
    context,
  );
}

/**
 * What hydrate fetched (src/hydrate/oura.ts): `{user_id, data_type, documents: {<data_type>:
 * [doc]}}`. Oura documents do not name their user, so the envelope does. Values hydrated earlier
 * also hold a `daily_sleep`'s sleep periods (`documents.sleep`): each period arrives as its own
 * `sleep` document, which maps it, so they are not read there.
 */
function mapHydrated(body: JsonObject, documents: JsonObject, context: MappingContext) {
  const userId = stringAt(body, 'user_id') ?? unmappable('oura', 'hydrated document has no user_id');
  const dataType = stringAt(body, 'data_type') ?? unmappable('oura', 'hydrated document has no data_type');
  const events = (arrayAt(documents, dataType) ?? [])
    .filter(isObject)
    .map((doc) => (dataType === 'sleep' ? mapSleepPeriod(userId, doc, context) : mapDailyDocument(userId, dataType, doc, context)));
  return { events };
}

export const ouraMapping: VendorMapping = {
  source: 'OURA',
  map(body, context) {
    const json = objectBody(body, 'oura');
    const documents = objectAt(json, 'documents');
    if (documents !== undefined) return mapHydrated(json, documents, context);
    if (typeof json['object_id'] === 'string' || typeof json['data_type'] === 'string') {
      needsHydration('oura', `${stringAt(json, 'event_type') ?? 'unknown'} notification for ${stringAt(json, 'data_type') ?? 'unknown data type'}`);
    }
    if (objectAt(json, 'hrv_data') || objectAt(json, 'sleep') || objectAt(json, 'recovery') || objectAt(json, 'readiness')) {
      return mapSeedDocument(json, context);
    }
    return unmappable('oura', 'body is neither a webhook notification nor an inline document');
  },
  mapDeletion(deletion, context) {
    const { userId, type, id } = deletedDocument('oura', deletion);
    return { events: [retraction(userId, type, id, context)] };
  },
};
