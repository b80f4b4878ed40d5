import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin } from 'kafkajs';
import { OperatorError } from '../../../src/operators/errors.ts';
import { resetGroupToTime } from '../../../src/operators/group-reset.ts';

// A group committed on three topics; a member joins after the first one's offsets were set, and
// the broker (as kafkajs reports it) refuses the rest.
test('a member joining mid-move is a try-again refusal (75) that names what moved and what did not', async () => {
  const topics = ['verified.oura', 'verified.whoop', 'terra-biometric-events'];
  const set: string[] = [];
  const admin = {
    describeGroups: async () => ({ groups: [{ groupId: 'bridge.normalize', members: [], state: 'Empty' }] }),
    fetchOffsets: async () => topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '10' }] })),
    listTopics: async () => topics,
    fetchTopicOffsetsByTimestamp: async () => [{ partition: 0, offset: '4' }],
    listGroups: async () => ({ groups: [] }),
    setOffsets: async ({ topic }: { topic: string }) => {
      if (set.length === 1) throw new Error('The consumer group must have no running instances, current state: Stable');
      set.push(topic);
    },
  } as unknown as Admin;
  const error = await resetGroupToTime(admin, { group: 'bridge.normalize', time: new Date(0) }).then(() => undefined, (e: unknown) => e);
  assert.instance(error, OperatorError);
  assert.is((error as OperatorError).exitCode, 75);
  assert.match((error as Error).message, 'moved verified.oura; not moved verified.whoop, terra-biometric-events');
  assert.equal(set, ['verified.oura']);
});

test.run();
