import { stageNames, type StageName } from './config/schema.ts';
import { priorities, type Priority } from './events/enriched-biometric-event.ts';
import { rawTopic, verifiedTopic } from './vendors/kit/topic-names.ts';
import { terraDestination } from './vendors/terra/destination.ts';
import { vendorIds } from './vendors/index.ts';

export { rawTopic, verifiedTopic } from './vendors/kit/topic-names.ts';
export { priorities, type Priority };

/**
 * Every topic name of docs/design.md §2, in one place. Code never spells a topic as a literal: it asks
 * this module, so a rename is one edit and `bridge topics create` always covers what code uses.
 */

/** Stages that write dead letters; ingress answers its errors over HTTP and has none. */
export const dlqStages: readonly StageName[] = stageNames;

export const topics = {
  /** Terra writes to this topic itself (its Kafka destination, named in its plugin); we only read it. */
  terraEvents: terraDestination.topic,
  events: 'biometric.events',
  enriched: 'biometric.enriched',
  /** The JSON topic NEUROS reads today; route mirrors to it only when asked. */
  legacyEvents: 'biometric-events',
  /** Requests for a user's history (`bridge connections backfill`, a new connection); hydrate reads it. */
  backfill: 'hydrate.backfill',
} as const;

export function priorityTopic(priority: Priority): string {
  return `neuros.priority.${priority}`;
}

export function dlqTopic(stage: StageName): string {
  return `dlq.${stage}`;
}

/** The Schema Registry subject of a topic's values (topic name strategy, docs/design.md §4). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Vendors whose webhooks carry ids only: the hydrate stage fetches their data (src/hydrate). */
export const hydratedVendorIds = ['oura', 'whoop', 'google-health', 'polar', 'withings', 'garmin'] as const;
export type HydratedVendorId = (typeof hydratedVendorIds)[number];

/** The hydrate stage's output: an id-only notification with the vendor documents it names. */
export function hydratedTopic(vendor: HydratedVendorId): string {
  return `hydrated.${vendor}`;
}

/** Every topic the pipeline reads or writes, in flow order. */
export function allTopics(): string[] {
  return [
    ...vendorIds.map(rawTopic),
    ...vendorIds.map(verifiedTopic),
    topics.backfill,
    ...hydratedVendorIds.map(hydratedTopic),
    topics.terraEvents,
    topics.events,
    topics.enriched,
    ...priorities.map(priorityTopic),
    ...dlqStages.map(dlqTopic),
    topics.legacyEvents,
  ];
}
