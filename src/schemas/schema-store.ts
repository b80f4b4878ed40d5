import avsc from 'avsc';
import { DependencyUnavailableError, RecordError } from '../streams/errors.ts';
import type { AvroSchemaStore } from '../streams/avro-serde.ts';
import { RegistryError, type RegistryClient } from './registry-client.ts';
import type { SchemaCache } from './schema-cache.ts';

/** docs/design.md §4: every subject the bridge creates evolves under BACKWARD_TRANSITIVE. */
export const defaultCompatibility = 'BACKWARD_TRANSITIVE';

export interface RegistrySchemaStoreOptions {
  /** The level a subject gets when this store registers its first version. */
  readonly compatibility?: string;
  /** How long a stage pauses when the registry does not answer, in ms. */
  readonly retryAfterMs?: number;
  /** What earlier processes learned, for a start while the registry is away (schema-cache.ts). */
  readonly cache?: SchemaCache;
}

/** Answers no retry will change: invalid request, unknown subject or id, incompatible or invalid schema. */
const permanentStatuses = new Set([400, 404, 409, 422]);

/**
 * The one classification of registry failures: an answer no retry changes is a RecordError
 * (dead letter, or a stop at start-up); no answer or a 5xx is the registry being away, so the
 * stage pauses and tries again.
 */
export function registryFailure(error: unknown, what: string, retryAfterMs = 5_000): Error {
  if (error instanceof RegistryError && permanentStatuses.has(error.status)) {
    return new RecordError('schema_unavailable', `${what}: the registry answered ${error.status}`, { cause: error });
  }
  return new DependencyUnavailableError('registry', retryAfterMs, { cause: error });
}

export interface EnsuredSchema {
  readonly id: number;
  /** False when the schema was already there and only read. */
  readonly registered: boolean;
}

/**
 * Looks the schema up under the subject and registers it only when it is missing, setting the
 * subject's compatibility level first. A stage whose schema is already registered therefore
 * starts on a registry that only answers reads.
 */
export async function ensureRegistered(client: RegistryClient, subject: string, schema: string, compatibility = defaultCompatibility): Promise<EnsuredSchema> {
  const found = await client.lookup(subject, schema);
  if (found) return { id: found.id, registered: false };
  // A new subject gets its level before its first version, so that version is checked under it.
  await client.setCompatibilityLevel(subject, compatibility);
  return { id: await client.register(subject, schema), registered: true };
}

/**
 * The Avro schema store on the registry, used by every stage and the NEUROS consumer. Ids and
 * writer schemas are asked for once per process; a failed question is asked again next time.
 */
export function registrySchemaStore(client: RegistryClient, options: RegistrySchemaStoreOptions = {}): AvroSchemaStore {
  const compatibility = options.compatibility ?? defaultCompatibility;
  const retryAfterMs = options.retryAfterMs ?? 5_000; // long enough for a registry restart, short enough to catch up
  const cache = options.cache;
  const ids = new Map<string, Promise<number>>();
  const writers = new Map<number, Promise<avsc.Type>>();
  const remember = <K, V>(cache: Map<K, Promise<V>>, key: K, lookup: () => Promise<V>): Promise<V> => {
    let promise = cache.get(key);
    if (!promise) {
      promise = lookup();
      cache.set(key, promise);
      promise.catch(() => cache.delete(key));
    }
    return promise;
  };
  return {
    register(subject, schema) {
      const text = JSON.stringify(schema);
      return remember(ids, `${subject}\n${text}`, async () => {
        try {
          const { id } = await ensureRegistered(client, subject, text, compatibility);
          await cache?.rememberId(subject, text, id);
          return id;
        } catch (error) {
          const failure = registryFailure(error, `registering the schema under ${subject}`, retryAfterMs);
          // Registered under this subject before: its id stands while the registry is away.
          const known = failure instanceof DependencyUnavailableError ? await cache?.idOf(subject, text) : undefined;
          if (known !== undefined) return known;
          throw failure;
        }
      });
    },
    async idOf(subject, schema) {
      try {
        return (await client.lookup(subject, JSON.stringify(schema)))?.id;
      } catch (error) {
        throw registryFailure(error, `looking the schema up under ${subject}`, retryAfterMs);
      }
    },
    writerType(id) {
      return remember(writers, id, async () => {
        let text: string;
        try {
          text = await client.schemaById(id);
          await cache?.rememberSchema(id, text);
        } catch (error) {
          const failure = registryFailure(error, `schema id ${id} is unknown to the registry`, retryAfterMs);
          // The registry first: one recreated at the same address numbers its schemas anew.
          const known = failure instanceof DependencyUnavailableError ? await cache?.schemaById(id) : undefined;
          if (known === undefined) throw failure;
          text = known;
        }
        try {
          return avsc.Type.forSchema(JSON.parse(text) as avsc.Schema);
        } catch (error) {
          throw new RecordError('schema_unavailable', `schema id ${id} is not an Avro schema`, { cause: error });
        }
      });
    },
  };
}
