import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AssignerProtocol, Kafka, logLevel, PartitionAssigners, type Cluster, type GroupMemberAssignment } from 'kafkajs';
import { coPartitionedAssigner } from '../../../src/streams/co-partitioned-assigner.ts';

// Two topics of three partitions, read by two members.
const cluster = { findTopicPartitionMetadata: () => [0, 1, 2].map((partitionId) => ({ partitionId })) } as unknown as Cluster;
const members = ['member-b', 'member-a'].map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));
const decoded = (assignments: GroupMemberAssignment[]) =>
  Object.fromEntries(assignments.map((a) => [a.memberId, AssignerProtocol.MemberAssignment.decode(a.memberAssignment)?.assignment]));
const config = { cluster, groupId: 'bridge.two-topics', logger: new Kafka({ brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING }).logger() };

test('partition n of every topic goes to one member, partition numbers dealt round the members', async () => {
  const assigned = decoded(await coPartitionedAssigner()(config).assign({ members, topics: ['A', 'B'] }));
  assert.equal(assigned, { 'member-a': { A: [0, 2], B: [0, 2] }, 'member-b': { A: [1], B: [1] } });
});

test('round-robin, which it replaces for topologies with state, splits partition n of the two topics', async () => {
  const assigned = decoded(await PartitionAssigners.roundRobin(config).assign({ members, topics: ['A', 'B'] }));
  assert.not.equal(assigned['member-a']?.['A'], assigned['member-a']?.['B'], 'a member owning partition 0 of A and not of B');
});

test.run();
