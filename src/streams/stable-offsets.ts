import type { Admin } from 'kafkajs';
import { keyOf, type PartitionRef } from './events.ts';

/**
 * The group's stable committed offsets of `refs`, by `keyOf` (absent: none committed), in one
 * request for exactly those partitions.
 *
 * The patched client's offset fetch asks with `require_stable` (OffsetFetch v7) and asks again
 * while a transaction holds the offset of any partition in the request. A request for every
 * partition of a topic therefore waited for the open transactions of every other member of the
 * group, which under load nearly always has one: a partition being recovered (after a failed
 * commit, or newly assigned) stalled, each read for up to the client's 70 s.
 */
export async function fetchStableOffsets(admin: Pick<Admin, 'fetchOffsets'>, groupId: string, refs: readonly PartitionRef[]): Promise<Map<string, bigint>> {
  const offsets = new Map<string, bigint>();
  if (refs.length === 0) return offsets;
  const byTopic = new Map<string, Set<number>>();
  for (const { topic, partition } of refs) byTopic.set(topic, (byTopic.get(topic) ?? new Set()).add(partition));
  const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const { partition, offset } of partitions) if (offset !== '-1') offsets.set(keyOf({ topic, partition }), BigInt(offset));
  }
  return offsets;
}
