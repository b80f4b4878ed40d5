import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { priorities, priorityTopic, topics, valueSubject } from '../topics.ts';
import { bridgeSchemas, type BridgeSchemas, type SchemaName } from './load-schemas.ts';

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
  /** Confluent-compatible base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7. */
  readonly registryUrl: string;
  readonly compatibility?: COMPATIBILITY;
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

async function putSubjectCompatibility(registryUrl: string, subject: string, compatibility: COMPATIBILITY): Promise<void> {
  // The client library sets a subject's level only on its very first registration and refuses
  // to register when the level differs, so the level is put first, explicitly and idempotently.
  const response = await fetch(`${registryUrl.replace(/\/$/, '')}/config/${encodeURIComponent(subject)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility }),
    signal: AbortSignal.timeout(10_000), // ten seconds
  });
  if (!response.ok) {
    throw new SchemaRegistrationError(subject, `setting compatibility ${compatibility} answered ${response.status}: ${await response.text()}`, {
      cause: { status: response.status },
    });
  }
}

/**
 * Registers every pipeline subject (idempotent: an unchanged schema keeps its id) and returns the
 * id per subject. Called when a stage starts and by `bridge schemas register`; the registry
 * client caches the ids and parsed schemas, so encoding needs no further round trip.
 */
export async function registerSchemas(
  registry: SchemaRegistry,
  options: RegisterOptions,
  subjects: readonly SubjectRegistration[] = pipelineSubjects(options.schemas),
): Promise<Map<string, number>> {
  const schemas = options.schemas ?? bridgeSchemas();
  const compatibility = options.compatibility ?? COMPATIBILITY.BACKWARD_TRANSITIVE;
  const ids = new Map<string, number>();
  for (const { subject, schema } of subjects) {
    ids.set(subject, await registerSubject(registry, options.registryUrl, subject, schemas[schema].json, compatibility));
  }
  return ids;
}

/** Puts the subject's compatibility level, then registers one schema under it; returns its id. */
export async function registerSubject(
  registry: SchemaRegistry,
  registryUrl: string,
  subject: string,
  schema: object,
  compatibility: COMPATIBILITY = COMPATIBILITY.BACKWARD_TRANSITIVE,
): Promise<number> {
  await putSubjectCompatibility(registryUrl, subject, compatibility);
  try {
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility });
    return id;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SchemaRegistrationError(subject, message, { cause: error });
  }
}
