import { AssignerProtocol, type Assignment, type PartitionAssigner } from 'kafkajs';

/**
 * Gives partition n of every subscribed topic to one member, partition numbers dealt round the
 * sorted members. A topology with state stores needs it: its source topics' partition n all
 * write its stores' partition n, and kafkajs's round-robin assigner deals topic-partitions in one
 * list, so with two topics two members could each own a copy of store partition n and write
 * its changelog (updates lost), as Kafka Streams' co-partitioning forbids. One topic gets what
 * round-robin gives it. `userData`: what the member says of itself in its group metadata.
 */
export const coPartitionedAssigner = (userData: Buffer = Buffer.alloc(0)): PartitionAssigner => ({ cluster }) => ({
  name: 'BridgeCoPartitionedAssigner',
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((member) => member.memberId).sort();
    if (sorted.length === 0) return [];
    const byMember = new Map<string, Assignment>();
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const owner = sorted[partitionId % sorted.length]!;
        const assignment = byMember.get(owner) ?? {};
        (assignment[topic] ??= []).push(partitionId);
        byMember.set(owner, assignment);
      }
    }
    return [...byMember].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    // The user data is the member's own (where it serves state queries): the group passes it on to
    // every member that describes the group.
    return { name: 'BridgeCoPartitionedAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }) };
  },
});
