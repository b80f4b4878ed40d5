import type { BiometricEvent } from './biometric-event.ts';
import type { Trigger } from './trigger.ts';

/** TypeScript view of schemas/enriched-biometric-event.avsc (checked against it by a unit test). */

/**
 * Symbols of the Avro `Priority` enum, the one list of priorities: the neuros.priority.<priority>
 * topics, their subjects and the NEUROS consumer all derive from it.
 */
export const priorities = ['high', 'medium', 'normal'] as const;
export type Priority = (typeof priorities)[number];

export interface EnrichedBiometricEvent {
  event: BiometricEvent;
  triggers: Trigger[];
  priority: Priority;
  /** Epoch ms. */
  enrichedAt: number;
}
