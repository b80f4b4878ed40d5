import { RecordError } from './errors.ts';
import { avro, avroWithSchemaId } from './avro-serde.ts';

/**
 * Turns a key or value into bytes and back. `topic` is passed because schema-aware formats
 * (Avro with the topic name strategy) depend on it. Either side may be async.
 */
export interface Serde<T> {
  /** Shown by describe(), e.g. `string`, `json`, `avro(biometric.events-value)`. */
  readonly name: string;
  serialize(value: T, topic: string): Buffer | null | Promise<Buffer | null>;
  deserialize(data: Buffer | null, topic: string): T | Promise<T>;
}

/** The writing half, all a sink needs (so a `Serde<string | null>` writes `string` keys). */
export type Serializer<T> = Pick<Serde<T>, 'name' | 'serialize'>;

const bytesSerde: Serde<Buffer | null> = {
  name: 'bytes',
  serialize: (value) => value,
  deserialize: (data) => data,
};

const stringSerde: Serde<string | null> = {
  name: 'string',
  serialize: (value) => (value === null ? null : Buffer.from(value, 'utf8')),
  deserialize: (data) => (data === null ? null : data.toString('utf8')),
};

function jsonSerde<T>(): Serde<T> {
  return {
    name: 'json',
    serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    deserialize: (data) => {
      if (data === null || data.length === 0) throw new RecordError('deserialization_failed', 'expected JSON, got an empty payload');
      try {
        return JSON.parse(data.toString('utf8')) as T;
      } catch (error) {
        // The parser's message quotes the input; keep it out of the detail (it may carry PHI).
        throw new RecordError('deserialization_failed', `payload of ${data.length} bytes is not valid JSON`, { cause: error });
      }
    },
  };
}

/** The serdes every topology uses; `json<T>()` trusts the shape (validate in a step). */
export const serdes = {
  bytes: (): Serde<Buffer | null> => bytesSerde,
  string: (): Serde<string | null> => stringSerde,
  json: jsonSerde,
  avro,
  avroWithSchemaId,
};
