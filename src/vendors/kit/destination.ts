import type { MappingResult } from './vendor-mapping.ts';

/** One record of a topic a vendor writes itself. */
export interface DestinationRecord {
  readonly value: Buffer | null;
  /** When the vendor produced it, epoch ms. */
  readonly timestamp: number;
  /** A replayed or redriven copy's `received-at`: the original's timestamp. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A topic a vendor writes into our Kafka itself (Terra's destination), read by normalize beside
 * the verified topics. Mapping one record may need the network (Terra's pre-signed documents),
 * through a reader built once per process so its breaker sees every failure.
 */
export interface DestinationSource<Reader = never> {
  readonly topic: string;
  map(reader: Reader, record: DestinationRecord): Promise<MappingResult>;
}
