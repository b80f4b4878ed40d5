import kafkajs, { type Admin } from 'kafkajs';
import type { StateStores } from './state-stores.ts';

const { AssignerProtocol, Partitioners } = kafkajs;

/** Where a key of a store lives, and its value when this instance holds it. */
export type StateQueryAnswer =
  | { readonly where: 'here'; readonly partition: number; readonly value: unknown }
  | { readonly where: 'elsewhere'; readonly partition: number; readonly owner: { readonly clientId: string; readonly host: string; readonly memberId: string } }
  | { readonly where: 'unassigned'; readonly partition: number };

/**
 * Answers a key lookup as Kafka Streams' interactive queries do: the key's partition (the
 * store is keyed like the input, so the producer's murmur2 partitioner finds it), the value when
 * that partition is open here, else the group member that owns it.
 */
export async function queryStore(options: { admin: Admin; groupId: string; state: StateStores; store: string; changelogTopic: string; key: unknown; isMine: (partition: number) => boolean }): Promise<StateQueryAnswer> {
  const bytes = await options.state.keyBytes(options.store, options.key);
  const partitions = (await options.admin.fetchTopicOffsets(options.changelogTopic)).length;
  const partition = Partitioners.DefaultPartitioner()({
    topic: options.changelogTopic,
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] })),
    message: { key: bytes, value: null },
  });
  if (options.isMine(partition)) return { where: 'here', partition, value: await options.state.lookup(options.store, partition, bytes) };
  const [group] = (await options.admin.describeGroups([options.groupId])).groups;
  for (const member of group?.members ?? []) {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const owns = Object.values(decoded?.assignment ?? {}).some((list) => list.includes(partition));
    if (owns) return { where: 'elsewhere', partition, owner: { clientId: member.clientId, host: member.clientHost.replace(/^\//, ''), memberId: member.memberId } };
  }
  return { where: 'unassigned', partition };
}
