import kafkajs from 'kafkajs';

const { Partitioners } = kafkajs;
const partitionOf = Partitioners.DefaultPartitioner();

/**
 * The partition the producers' default partitioner (murmur2, as Java's) gives `key` among `count`
 * partitions of `topic`: where a keyed record, and so the state or history of its key, lies.
 */
export function keyPartition(topic: string, count: number, key: Buffer | string): number {
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));
  return partitionOf({ topic, partitionMetadata, message: { key, value: null } });
}

/** Topics' partition counts, each read through `read` and then trusted for `ttlMs`: topics are rarely repartitioned. */
export class PartitionCounts {
  readonly #read: (topic: string) => Promise<number>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #known = new Map<string, { readonly count: number; readonly at: number }>();

  constructor(read: (topic: string) => Promise<number>, ttlMs: number, now: () => number = Date.now) {
    this.#read = read;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  async of(topic: string): Promise<number> {
    const known = this.#known.get(topic);
    if (known && this.#now() - known.at < this.#ttlMs) return known.count;
    const count = await this.#read(topic);
    this.#known.set(topic, { count, at: this.#now() });
    return count;
  }
}
