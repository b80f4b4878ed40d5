import avsc from 'avsc';
import { RecordError } from './errors.ts';
import type { Serde } from './serde.ts';

/**
 * Where Avro schemas live: the registry in production (`registrySchemaStore` in src/schemas),
 * memory in driver tests.
 */
export interface AvroSchemaStore {
  /** Registers the schema under the subject (a no-op when already there) and returns its id. */
  register(subject: string, schema: avsc.Schema): Promise<number>;
  /** The writer's schema for an id taken from a record's wire header. */
  writerType(id: number): Promise<avsc.Type>;
  /** The id of this schema under the subject, if it is registered there: a read, never a registration. */
  idOf?(subject: string, schema: avsc.Schema): Promise<number | undefined>;
}

/** A store in memory for the test driver: ids count up from 1, no compatibility checks. */
export function memorySchemaStore(): AvroSchemaStore {
  const ids = new Map<string, number>();
  const types = new Map<number, avsc.Type>();
  return {
    async register(subject, schema) {
      const text = JSON.stringify(schema);
      const known = ids.get(`${subject}\n${text}`);
      if (known !== undefined) return known;
      const id = types.size + 1;
      types.set(id, avsc.Type.forSchema(schema));
      ids.set(`${subject}\n${text}`, id);
      return id;
    },
    async writerType(id) {
      const type = types.get(id);
      if (!type) throw new RecordError('schema_unavailable', `schema id ${id} is unknown`);
      return type;
    },
    async idOf(subject, schema) {
      return ids.get(`${subject}\n${JSON.stringify(schema)}`);
    },
  };
}

export interface AvroSerdeOptions {
  store: AvroSchemaStore;
  /** The schema this process writes and reads into (Avro resolution maps other writers to it). */
  schema: avsc.Schema;
  /** Defaults to the topic name strategy: `<topic>-value`. */
  subject?: string | ((topic: string) => string);
}

const magicByte = 0;
const headerBytes = 5; // magic byte + 4-byte big-endian schema id

/** A decoded value and the registry id of the schema it was written with. */
export interface WithSchemaId<T> {
  readonly schemaId: number;
  readonly value: T;
}

/**
 * The Confluent wire-format codec behind both Avro serdes. Once a subject's id and a writer id's
 * resolver are known they are kept, and later records encode and decode synchronously: stages
 * read hundreds of thousands of records per schema, and a promise per record was a large share of
 * the decode cost.
 */
function avroCodec<T>(options: AvroSerdeOptions) {
  const readerType = avsc.Type.forSchema(options.schema);
  const subjectFor =
    typeof options.subject === 'function' ? options.subject : (topic: string) => (options.subject as string | undefined) ?? `${topic}-value`;
  const ids = new Map<string, number>();
  const pendingIds = new Map<string, Promise<number>>();
  // Writer id → resolver into the reader schema (null: the writer is the reader schema).
  const resolvers = new Map<number, avsc.Resolver | null>();
  const pendingResolvers = new Map<number, Promise<avsc.Resolver | null>>();

  /** Caches what a lookup settles to; a failed lookup is asked again by the next record. */
  function settle<K, V>(key: K, lookup: () => Promise<V>, done: Map<K, V>, pending: Map<K, Promise<V>>): Promise<V> {
    let promise = pending.get(key);
    if (!promise) {
      promise = lookup();
      pending.set(key, promise);
      promise.then(
        (value) => done.set(key, value),
        () => undefined,
      ).finally(() => pending.delete(key));
    }
    return promise;
  }

  // Records are written behind the wire header into one growing scratch buffer and copied out
  // once: toBuffer, a header buffer and their concatenation cost three allocations per record.
  let scratch = Buffer.allocUnsafe(4_096);
  const frame = (id: number, value: T): Buffer => {
    let end = readerType.encode(value, scratch, headerBytes);
    if (end < 0) {
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end + headerBytes));
      end = readerType.encode(value, scratch, headerBytes);
    }
    scratch.writeUInt8(magicByte, 0);
    scratch.writeInt32BE(id, 1);
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    return out;
  };
  /**
   * avsc checks every value as it writes it and throws on the first that does not fit, so a
   * valid record is walked once, not validated first and then written (that walk was a third of
   * an enriched event's encoding). Only a record that fails is walked again, for its field paths.
   */
  const checkedFrame = (id: number, value: T): Buffer => {
    try {
      return frame(id, value);
    } catch (error) {
      throw invalid(value, error);
    }
  };
  const invalid = (value: T, error: unknown): RecordError => {
    const paths: string[] = [];
    readerType.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '<root>') });
    // Field paths only: avsc's own message quotes the value, which may be PHI.
    const where = paths.length > 0 ? ` at ${paths.join(', ')}` : ` (${error instanceof Error ? error.name : 'unknown error'})`;
    return new RecordError('serialization_failed', `value does not match ${readerType.name ?? 'the schema'}${where}`);
  };
  const read = (data: Buffer, id: number, resolver: avsc.Resolver | null): WithSchemaId<T> => {
    try {
      const body = data.subarray(headerBytes);
      return { schemaId: id, value: (resolver ? readerType.fromBuffer(body, resolver) : readerType.fromBuffer(body)) as T };
    } catch (error) {
      throw new RecordError('deserialization_failed', `payload does not decode with schema id ${id}`, { cause: error });
    }
  };

  /** The subject's id, registering the schema once (a failed registration is asked again next time). */
  const registeredId = (subject: string): Promise<number> => settle(subject, () => options.store.register(subject, options.schema), ids, pendingIds);

  return {
    name: `avro(${typeof options.subject === 'string' ? options.subject : '<topic>-value'})`,
    encode(value: T, topic: string): Buffer | Promise<Buffer> {
      const subject = subjectFor(topic);
      const id = ids.get(subject);
      if (id !== undefined) return checkedFrame(id, value);
      return registeredId(subject).then((found) => checkedFrame(found, value));
    },
    /**
     * Writing: the subject's id, as the first record would register it. Reading: the id this
     * schema has under the subject, if any; records written with it decode without a resolver,
     * so the first one does not fetch the schema it already has.
     */
    async warm(topic: string, side: 'read' | 'write'): Promise<void> {
      const subject = subjectFor(topic);
      if (side === 'write') {
        if (!ids.has(subject)) await registeredId(subject);
        return;
      }
      const id = await options.store.idOf?.(subject, options.schema);
      if (id !== undefined && !resolvers.has(id)) resolvers.set(id, null);
    },
    decode(data: Buffer | null): WithSchemaId<T> | Promise<WithSchemaId<T>> {
      if (data === null || data.length < headerBytes || data.readUInt8(0) !== magicByte) {
        throw new RecordError('deserialization_failed', 'payload is not in Confluent Avro wire format');
      }
      const id = data.readInt32BE(1);
      const resolver = resolvers.get(id);
      if (resolver !== undefined) return read(data, id, resolver);
      const lookup = () =>
        options.store.writerType(id).then((writer) => (writer.equals(readerType) ? null : readerType.createResolver(writer)));
      return settle(id, lookup, resolvers, pendingResolvers).then((found) => read(data, id, found));
    },
  };
}

/**
 * Avro in Confluent wire format. Encoding registers the schema once per subject and caches the id;
 * decoding fetches the writer schema by id and resolves it into `schema`, so records written with
 * older or newer compatible schemas both read as the current shape.
 */
export function avro<T>(options: AvroSerdeOptions): Serde<T> {
  const codec = avroCodec<T>(options);
  return {
    name: codec.name,
    serialize: (value, topic) => codec.encode(value, topic),
    warm: (topic, side) => codec.warm(topic, side),
    deserialize(data) {
      const decoded = codec.decode(data);
      return decoded instanceof Promise ? decoded.then((d) => d.value) : decoded.value;
    },
  };
}

/** The same Avro serde, keeping the writer's schema id beside each value (e.g. for storage). */
export function avroWithSchemaId<T>(options: AvroSerdeOptions): Serde<WithSchemaId<T>> {
  const codec = avroCodec<T>(options);
  return {
    name: codec.name,
    serialize: (value, topic) => codec.encode(value.value, topic),
    warm: (topic, side) => codec.warm(topic, side),
    deserialize: (data) => codec.decode(data),
  };
}
