import { fileURLToPath } from 'node:url';
import type { Schema } from 'avsc';
import type { Registry } from 'prom-client';
import type { BiometricEvent, EnrichedBiometricEvent } from '../src/events/index.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { serdes, StreamsBuilder, type AvroSchemaStore, type InPlaceSerde, type Topology, type WindowScan, type WindowStore } from '../src/streams/index.ts';
import { topics } from '../src/topics.ts';
import {
  baselineDays,
  baselineFrom,
  baselineMetrics,
  baselineUntil,
  baselinesOfStored,
  createTriggerMetrics,
  DayFold,
  dailyValuesLength,
  dayMs,
  decodeDailyValues,
  encodeDailyValues,
  evaluateTriggers,
  hasDailyValues,
  priorityOf,
  writeDailyValues,
  type DailyBaselines,
  type DailyValues,
  type RuleMetric,
  type RuleSet,
} from '../src/triggers/index.ts';

/** The rules shipped with the bridge; TRIGGER_RULES_FILE points elsewhere to override them. */
export const defaultRulesFile = fileURLToPath(new URL('./rules/cognitive-triggers.json', import.meta.url));

/** The window store of users' daily values (changelog `bridge.enrich-baselines-changelog`). */
export const baselineStoreName = 'baselines';

/** Days late an event is still judged against the full seven days before its own (a watch synced after a weekend away). */
const lateDays = 2;

/**
 * Daily windows of event time, each kept for the baseline's seven days after it and the late
 * days beyond, so an event that comes two days late is judged against the seven days before its
 * own. A day takes late values for as long as it is kept: history that arrives after the user's
 * live events (a backfill on connect, `bridge connections backfill`) still fills their week. A
 * record is taken up to the late days ahead of the clock, not the grace's nine.
 */
export const baselineWindows = { sizeMs: dayMs, graceMs: (baselineDays + lateDays) * dayMs, retentionMs: (baselineDays + lateDays) * dayMs, aheadMs: lateDays * dayMs } as const;

/** A day of the baseline store as its changelog holds it (binary, written in place: the store writes every retained day at each event). */
export const dailyValuesSerde: InPlaceSerde<DailyValues> = {
  name: 'daily-values',
  serialize: encodeDailyValues,
  deserialize: (data) => decodeDailyValues(data ?? Buffer.alloc(0)),
  byteLength: dailyValuesLength,
  serializeInto: writeDailyValues,
};

export interface EnrichOptions {
  /** Loaded and validated at start (`loadRuleSet`), so a bad file stops the stage, not a record. */
  readonly rules: RuleSet;
  readonly schemaStore: AvroSchemaStore;
  /** Where `cognitive_mode_triggers_total` is counted; omitted in tests that do not look. */
  readonly metrics?: Registry;
  readonly now?: () => number;
  /** Where the stage reads and writes and its group (the pipeline's by default; benchmarks use their own). */
  readonly topics?: { readonly source: string; readonly output: string; readonly deadLetters: string };
  readonly groupId?: string;
}

/**
 * biometric.events → trigger rules and priority (docs/design.md §5) → biometric.enriched. When
 * the rules judge some metric against the user's baseline, a window store keeps each user's
 * daily values of those metrics (keyed by user id, as the input is).
 */
export function enrichTopology(options: EnrichOptions): Topology {
  const schemas = bridgeSchemas();
  const now = options.now ?? Date.now;
  const triggerMetrics = options.metrics ? createTriggerMetrics(options.metrics) : undefined;
  const metrics = baselineMetrics(options.rules);
  const builder = new StreamsBuilder('enrich', {
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.topics ? { deadLetterTopic: options.topics.deadLetters } : {}),
  });
  const baselineStore = metrics.length > 0 ? builder.addWindowStore<string | null, DailyValues>({ name: baselineStoreName, key: serdes.string(), windows: baselineWindows, aggregate: dailyValuesSerde }) : undefined;
  builder
    .stream('biometric-events', {
      topics: [options.topics?.source ?? topics.events],
      key: serdes.string(),
      value: serdes.avro<BiometricEvent>({ store: options.schemaStore, schema: schemas.BiometricEvent.json as Schema }),
    })
    .mapValues('evaluate-triggers', (event, _record, ctx): EnrichedBiometricEvent | Promise<EnrichedBiometricEvent> => {
      // A deletion carries no values: nothing to judge, nothing to add to a baseline.
      if (event.op === 'DELETE') return { event, triggers: [], priority: 'normal', enrichedAt: now(), baselines: [] };
      // An event without a value of a metric some baseline rule reads (an activity, a workout) has
      // nothing to judge against a baseline and nothing to add to one: the store is not read.
      if (!baselineStore || !hasDailyValues(event, metrics)) return judged(options.rules, event, [], now());
      // Synchronous while the store is (it is, once a user's key is known): a promise or a closure per event was much of the store's cost.
      const store = ctx.store(baselineStore);
      // The baseline's days alone: the ring also keeps the grace days' worth before them.
      const days = store.scan(event.userId, baselineFrom(event.occurredAt), baselineUntil(event.occurredAt));
      if (days instanceof Promise) return days.then((found) => judgeAndRemember(store, event, found, options.rules, metrics, now));
      return judgeAndRemember(store, event, days, options.rules, metrics, now);
    })
    .peek('count-triggers', (record) => triggerMetrics?.count(record.value.triggers))
    .to('enriched-events', {
      topic: options.topics?.output ?? topics.enriched,
      key: serdes.string(),
      value: serdes.avro<EnrichedBiometricEvent>({ store: options.schemaStore, schema: schemas.EnrichedBiometricEvent.json as Schema }),
    });
  return builder.build();
}

/** The event judged against the user's baselines before it (read from the stored days in place), then its values added to its day. */
function judgeAndRemember(store: WindowStore<string | null, DailyValues>, event: BiometricEvent, days: WindowScan, rules: RuleSet, metrics: readonly RuleMetric[], now: () => number): EnrichedBiometricEvent | Promise<EnrichedBiometricEvent> {
  const baselines = baselinesOfStored(days, event.occurredAt, metrics, event);
  // Folded where the day lies in the user's ring of days: rewriting the user's week per event was most of an update.
  const updated = store.update(event.userId, event.occurredAt, new DayFold(event, metrics));
  if (updated instanceof Promise) return updated.then(() => judged(rules, event, baselines, now()));
  return judged(rules, event, baselines, now());
}

function judged(rules: RuleSet, event: BiometricEvent, baselines: DailyBaselines, enrichedAt: number): EnrichedBiometricEvent {
  const triggers = evaluateTriggers(rules, event, baselines);
  // The baselines the rules judged the event against are the records it carries, as they are.
  return { event, triggers, priority: priorityOf(triggers), enrichedAt, baselines };
}
