import type { Schema } from 'avsc';
import { headlineFields, priorities, type EnrichedBiometricEvent, type HeadlineField } from '../src/events/index.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { serdes, StreamsBuilder, type AvroSchemaStore, type StreamRecord, type Topology } from '../src/streams/index.ts';
import { priorityTopic, topics } from '../src/topics.ts';

export interface RouteOptions {
  readonly schemaStore: AvroSchemaStore;
  /** ROUTE_LEGACY_MIRROR: also write the JSON NEUROS reads today to `biometric-events`. */
  readonly legacyMirror?: boolean;
  /** Tests run the stage on their own input topic and group, beside the real one. */
  readonly sourceTopic?: string;
  readonly groupId?: string;
}

/**
 * Headers NEUROS filters on without decoding the value (docs/design.md §2). Trigger values stay out:
 * headers are read by brokers' tooling and proxies that are not meant to see readings.
 */
export function routingHeaders(enriched: EnrichedBiometricEvent): Record<string, string> {
  const { event, triggers } = enriched;
  return {
    priority: enriched.priority,
    device_type: event.deviceType ?? event.source.toLowerCase(),
    // Terra data reaches us both through its Kafka destination and its webhook; either way it
    // is Terra's aggregation, which NEUROS weighs differently from direct vendor feeds.
    source: event.source === 'TERRA' ? 'terra' : 'bridge',
    has_triggers: String(triggers.length > 0),
    triggers: JSON.stringify(triggers.map((t) => ({ type: t.type, severity: t.severity, metric: t.metric, recommendation: t.recommendation }))),
    op: event.op === 'DELETE' ? 'delete' : 'upsert',
  };
}

/**
 * Route does not remember which priority topic carried the deleted event, so a deletion goes to
 * every priority topic (its `priority` naming the topic it is on): a reader of any one of them
 * learns of it. Deletions are rare; readers apply them by eventId, idempotently.
 */
function everyPriorityCopy(record: StreamRecord<string | null, EnrichedBiometricEvent>): StreamRecord<string | null, EnrichedBiometricEvent>[] {
  return priorities.map((priority) => {
    const value = { ...record.value, priority };
    return { ...record, value, headers: { ...record.headers, ...routingHeaders(value) } };
  });
}

/** The legacy `biometric-events` JSON (snake_case, ISO times), as the NEUROS reader of today expects. */
export interface LegacyBiometricEvent {
  event_id: string;
  user_id: string;
  source: string;
  data_type: string;
  device_type: string | null;
  timestamp: string;
  received_at: string;
  metrics: Record<string, number>;
  readings: Array<{ metric: string; value: number; unit: string }>;
  triggers: Array<{ type: string; severity: string; metric: string; value: number; recommendation: string }>;
  priority: string;
}

/**
 * The legacy name of every headline field. `satisfies` makes a new headline in
 * src/events/biometric-event.ts a compile error here until it is named, so the mirror never
 * silently drops it.
 */
export const legacyMetricNames = {
  hrvRmssdMs: 'hrv_rmssd_ms',
  restingHeartRateBpm: 'resting_heart_rate_bpm',
  sleepScore: 'sleep_score',
  recoveryScore: 'recovery_score',
  readinessScore: 'readiness_score',
  temperatureDeltaC: 'temperature_delta_c',
  stressLevel: 'stress_level',
} as const satisfies Record<HeadlineField, string>;

export function toLegacyEvent(enriched: EnrichedBiometricEvent): LegacyBiometricEvent {
  const { event } = enriched;
  const metrics: Record<string, number> = {};
  for (const field of headlineFields) {
    const value = event[field];
    if (value !== null) metrics[legacyMetricNames[field]] = value;
  }
  return {
    event_id: event.eventId,
    user_id: event.userId,
    source: event.source.toLowerCase(),
    data_type: event.dataType,
    device_type: event.deviceType,
    timestamp: new Date(event.occurredAt).toISOString(),
    received_at: new Date(event.receivedAt).toISOString(),
    metrics,
    readings: event.readings,
    triggers: enriched.triggers.map(({ type, severity, metric, value, recommendation }) => ({ type, severity, metric, value, recommendation })),
    priority: enriched.priority,
  };
}

/** biometric.enriched → neuros.priority.<priority> with routing headers (+ optional legacy JSON). */
export function routeTopology(options: RouteOptions): Topology {
  const enrichedSerde = serdes.avro<EnrichedBiometricEvent>({
    store: options.schemaStore,
    schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema,
  });
  const builder = new StreamsBuilder('route', options.groupId ? { groupId: options.groupId } : {});
  const routed = builder
    .stream('enriched-events', { topics: [options.sourceTopic ?? topics.enriched], key: serdes.string(), value: enrichedSerde })
    .flatMap('add-routing-headers', (record): StreamRecord<string | null, EnrichedBiometricEvent>[] =>
      record.value.event.op === 'DELETE'
        ? everyPriorityCopy(record)
        : [{ ...record, headers: { ...record.headers, ...routingHeaders(record.value) } }],
    );
  routed.to('priority-topic', {
    topic: (record) => priorityTopic(record.value.priority),
    topics: priorities.map(priorityTopic),
    key: serdes.string(),
    value: enrichedSerde,
  });
  if (options.legacyMirror === true) {
    routed
      // The legacy JSON has no way to say "deleted", and one copy per priority would repeat it.
      .filter('skip-deletions', (record) => record.value.event.op !== 'DELETE')
      .mapValues('to-legacy-json', (value) => toLegacyEvent(value))
      .to('legacy-events', { topic: topics.legacyEvents, key: serdes.string(), value: serdes.json<LegacyBiometricEvent>() });
  }
  return builder.build();
}
