import type { Schema } from 'avsc';
import { COMPATIBILITY, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { DependencyUnavailableError, RecordError } from '../streams/errors.ts';
import { registrySchemaStore, type AvroSchemaStore } from '../streams/index.ts';
import { registerSubject } from './register-schemas.ts';

export interface PipelineSchemaStoreOptions {
  readonly registryUrl: string;
  readonly compatibility?: COMPATIBILITY;
  /** How long a stage pauses when the registry does not answer, in ms. */
  readonly retryAfterMs?: number;
}

function statusOf(error: unknown): number | undefined {
  for (let e: unknown = error; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/**
 * The Avro schema store for stages on the real registry. It registers with the subject's
 * compatibility set to BACKWARD_TRANSITIVE (docs/design.md §4): the registry client on its own sets a new
 * subject to BACKWARD and refuses to register under a subject whose level differs from its
 * default, which would stall a stage on every BACKWARD_TRANSITIVE subject.
 */
export function pipelineSchemaStore(registry: SchemaRegistry, options: PipelineSchemaStoreOptions): AvroSchemaStore {
  const base = registrySchemaStore(registry);
  const compatibility = options.compatibility ?? COMPATIBILITY.BACKWARD_TRANSITIVE;
  const retryAfterMs = options.retryAfterMs ?? 5_000; // a registry restart
  return {
    async register(subject: string, schema: Schema) {
      try {
        return await registerSubject(registry, options.registryUrl, subject, schema as object, compatibility);
      } catch (error) {
        const status = statusOf(error);
        // Incompatible or invalid schemas will not fix themselves; anything else is the registry being away.
        if (status === 409 || status === 422) {
          throw new RecordError('schema_unavailable', `the registry refused the schema for ${subject} (${status})`, { cause: error });
        }
        throw new DependencyUnavailableError('registry', retryAfterMs, { cause: error });
      }
    },
    writerType: (id) => base.writerType(id),
  };
}
