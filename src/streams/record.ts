/** A value or a promise of it: every step may be synchronous or asynchronous. */
export type Awaitable<T> = T | Promise<T>;

/** Where a record was read from. */
export interface SourceCoordinates {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit, so they travel as decimal strings (as in kafkajs). */
  readonly offset: string;
}

/**
 * A decoded record as steps see it. Steps return new records (spread the input to keep what they
 * do not change); the source coordinates stay those of the input record.
 */
export interface StreamRecord<K, V> extends SourceCoordinates {
  readonly key: K;
  readonly value: V;
  /** Header values decoded as UTF-8; a sink writes them as they are here. */
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch; a sink keeps it (event time travels with the record). */
  readonly timestamp: number;
}

/** Header values as Kafka delivers them (kafkajs' IHeaders). */
export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A record as it sits in Kafka: bytes, before the source's serdes ran. */
export interface RawRecord extends SourceCoordinates {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RawHeaders;
  readonly timestamp: number;
}

/** A serialized record a sink (or the dead-letter path) wants written. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Set for changelog records, which go to the partition of the input they came from; else by key. */
  readonly partition?: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RawHeaders;
  readonly timestamp: number;
  /** The sink node that produced it (`dead-letter` for dead letters), for metrics. */
  readonly node: string;
}

export function decodeHeaders(headers: RawHeaders): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // A repeated header keeps its first value, as Kafka's Headers#lastHeader would otherwise
    // hide the one the producer set first; stages never repeat headers.
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    decoded[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return decoded;
}
