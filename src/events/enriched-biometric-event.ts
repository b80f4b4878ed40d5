import type { BiometricEvent } from './biometric-event.ts';
import type { Trigger } from './trigger.ts';

/** TypeScript view of schemas/enriched-biometric-event.avsc (checked against it by a unit test). */

/** Symbols of the Avro `Priority` enum; lower-case like the neuros.priority.<priority> topics. */
export const prioritySymbols = ['high', 'medium', 'normal'] as const;
export type PrioritySymbol = (typeof prioritySymbols)[number];

export interface EnrichedBiometricEvent {
  event: BiometricEvent;
  triggers: Trigger[];
  priority: PrioritySymbol;
  /** Epoch ms. */
  enrichedAt: number;
}
