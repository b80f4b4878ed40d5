import { RecordError } from './errors.ts';
import { avro, avroWithSchemaId } from './avro-serde.ts';
import type { Serde } from './serde.ts';

// The contract lives in serde.ts so the Avro serde can implement it without importing this file.
export type { Serde, Serializer } from './serde.ts';

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
