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
