/**
 * Turns a key or value into bytes and back. `topic` is passed because schema-aware formats
 * (Avro with the topic name strategy) depend on it. Either side may be async.
 */
export interface Serde<T> {
  /** Shown by describe(), e.g. `string`, `json`, `avro(biometric.events-value)`. */
  readonly name: string;
  serialize(value: T, topic: string): Buffer | null | Promise<Buffer | null>;
  deserialize(data: Buffer | null, topic: string): T | Promise<T>;
  /**
   * Asks now what the first record read from or written to `topic` would otherwise wait for (an
   * Avro serde's schema id), so a stage that has just started or taken partitions over does not
   * make its first records wait on the registry. Best effort: a failure leaves it to the first
   * record, which asks again.
   */
  warm?(topic: string, side: 'read' | 'write'): Promise<void>;
}

/** The writing half, all a sink needs (so a `Serde<string | null>` writes `string` keys). */
export type Serializer<T> = Pick<Serde<T>, 'name' | 'serialize' | 'warm'>;
