import { priorities, priorityTopic, topics, valueSubject } from '../topics.ts';
import { bridgeSchemas, type BridgeSchemas, type SchemaName } from './load-schemas.ts';
import type { RegistryClient } from './registry-client.ts';
import { defaultCompatibility } from './schema-store.ts';

export interface SubjectRegistration {
  /** `<topic>-value` (topic name strategy), or a record-name subject for Trigger. */
  readonly subject: string;
  readonly schema: SchemaName;
}

/**
 * Every subject the pipeline writes. Trigger has no topic of its own: it travels inside
 * EnrichedBiometricEvent, and is registered under its record name so its evolution is checked
 * on its own and consumers can look it up.
 */
export function pipelineSubjects(schemas: BridgeSchemas = bridgeSchemas()): SubjectRegistration[] {
  return [
    { subject: valueSubject(topics.events), schema: 'BiometricEvent' },
    { subject: valueSubject(topics.enriched), schema: 'EnrichedBiometricEvent' },
    ...priorities.map((p) => ({ subject: valueSubject(priorityTopic(p)), schema: 'EnrichedBiometricEvent' as const })),
    { subject: schemas.Trigger.fullName, schema: 'Trigger' },
  ];
}

export interface RegisterOptions {
  readonly compatibility?: string;
  readonly schemas?: BridgeSchemas;
}

/** Raised when the registry refuses a schema: a schema change broke compatibility. */
export class SchemaRegistrationError extends Error {
  readonly subject: string;
  constructor(subject: string, message: string, options?: ErrorOptions) {
    super(`registering ${subject}: ${message}`, options);
    this.name = 'SchemaRegistrationError';
    this.subject = subject;
  }
}

/**
 * `bridge schemas register` and `bridge start`: puts each subject's compatibility level, then
 * registers its schema (idempotent: an unchanged schema keeps its id), and returns the id per
 * subject. Stages do not call this; they only look their schema up (ensureRegistered).
 */
export async function registerSchemas(
  client: RegistryClient,
  options: RegisterOptions = {},
  subjects: readonly SubjectRegistration[] = pipelineSubjects(options.schemas),
): Promise<Map<string, number>> {
  const schemas = options.schemas ?? bridgeSchemas();
  const compatibility = options.compatibility ?? defaultCompatibility;
  const ids = new Map<string, number>();
  for (const { subject, schema } of subjects) {
    try {
      await client.setCompatibilityLevel(subject, compatibility);
      ids.set(subject, await client.register(subject, JSON.stringify(schemas[schema].json)));
    } catch (error) {
      throw new SchemaRegistrationError(subject, error instanceof Error ? error.message : String(error), { cause: error });
    }
  }
  return ids;
}
