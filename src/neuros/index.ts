/**
 * The NEUROS side of the bridge: a typed consumer of the priority topics. See
 * docs/neuros-consumer.md for a walk-through.
 */
export { startNeurosConsumer, type NeurosConsumer, type NeurosConsumerOptions, type NeurosMessage } from './consumer.ts';
export type { EnrichedBiometricEvent, BiometricEvent, Trigger } from '../events/index.ts';
export { createRegistryClient, registrySchemaStore } from '../schemas/index.ts';
