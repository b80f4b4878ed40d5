import type { BiometricEvent } from './biometric-event.ts';
import type { Trigger } from './trigger.ts';

/** TypeScript view of schemas/enriched-biometric-event.avsc (checked against it by a unit test). */

/**
 * Symbols of the Avro `Priority` enum, the one list of priorities: the neuros.priority.<priority>
 * topics, their subjects and the NEUROS consumer all derive from it.
 */
export const priorities = ['high', 'medium', 'normal'] as const;
export type Priority = (typeof priorities)[number];

/** The Avro `Baseline` record: a user's baseline of one metric that relative rules judged against. */
export interface Baseline {
  /** A BiometricEvent headline field, e.g. `hrvRmssdMs`. */
  metric: string;
  /** Median of the user's daily means over the window before the event's day. */
  median: number;
  /** Days with a value in the window. */
  days: number;
  /** Days the window covers (7). */
  windowDays: number;
}

export interface EnrichedBiometricEvent {
  event: BiometricEvent;
  triggers: Trigger[];
  priority: Priority;
  /** Epoch ms. */
  enrichedAt: number;
  /**
   * Added with a default of []: always present when decoded; code that builds an enriched event
   * without relative rules may leave it out.
   */
  baselines?: Baseline[];
}
