import { fileURLToPath } from 'node:url';
import type { Schema } from 'avsc';
import type { Registry } from 'prom-client';
import type { BiometricEvent, EnrichedBiometricEvent } from '../src/events/index.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { serdes, StreamsBuilder, type AvroSchemaStore, type Topology } from '../src/streams/index.ts';
import { topics } from '../src/topics.ts';
import { createTriggerMetrics, evaluateTriggers, priorityOf, type RuleSet } from '../src/triggers/index.ts';

/** The rules shipped with the bridge; TRIGGER_RULES_FILE points elsewhere to override them. */
export const defaultRulesFile = fileURLToPath(new URL('./rules/cognitive-triggers.json', import.meta.url));

export interface EnrichOptions {
  /** Loaded and validated at start (`loadRuleSet`), so a bad file stops the stage, not a record. */
  readonly rules: RuleSet;
  readonly schemaStore: AvroSchemaStore;
  /** Where `cognitive_mode_triggers_total` is counted; omitted in tests that do not look. */
  readonly metrics?: Registry;
  readonly now?: () => number;
}

/** biometric.events → trigger rules and priority (docs/design.md §5) → biometric.enriched. */
export function enrichTopology(options: EnrichOptions): Topology {
  const schemas = bridgeSchemas();
  const now = options.now ?? Date.now;
  const triggerMetrics = options.metrics ? createTriggerMetrics(options.metrics) : undefined;
  const builder = new StreamsBuilder('enrich');
  builder
    .stream('biometric-events', {
      topics: [topics.events],
      key: serdes.string(),
      value: serdes.avro<BiometricEvent>({ store: options.schemaStore, schema: schemas.BiometricEvent.json as Schema }),
    })
    .mapValues('evaluate-triggers', (event): EnrichedBiometricEvent => {
      const triggers = evaluateTriggers(options.rules, event);
      return { event, triggers, priority: priorityOf(triggers), enrichedAt: now() };
    })
    .peek('count-triggers', (record) => triggerMetrics?.count(record.value.triggers))
    .to('enriched-events', {
      topic: topics.enriched,
      key: serdes.string(),
      value: serdes.avro<EnrichedBiometricEvent>({ store: options.schemaStore, schema: schemas.EnrichedBiometricEvent.json as Schema }),
    });
  return builder.build();
}
