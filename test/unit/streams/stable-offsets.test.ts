// The exactly-once committer's read of committed offsets names the partitions it needs: the
// broker side (a transaction on another partition does not hold the read up) is tested against
// the real broker in `kafka-stable-offsets`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin } from 'kafkajs';
import { fetchStableOffsets } from '../../../src/streams/stable-offsets.ts';

type Asked = Array<{ topic: string; partitions: number[] }>;

/** An admin whose group committed `committed` (topic/partition → offset, '-1' where none), recording what each read asked for. */
function fakeAdmin(committed: Record<string, string>) {
  const reads: Asked[] = [];
  const admin = {
    fetchOffsets: async ({ topics }: { topics: Asked }) => {
      reads.push(topics);
      return topics.map(({ topic, partitions }) => ({ topic, partitions: partitions.map((partition) => ({ partition, offset: committed[`${topic}/${partition}`] ?? '-1', metadata: null })) }));
    },
  } as unknown as Admin;
  return { admin, reads };
}

test('one read for the partitions asked, grouped by topic, each once', async () => {
  const fake = fakeAdmin({ 'a/0': '5', 'a/3': '9', 'b/1': '2' });
  const offsets = await fetchStableOffsets(fake.admin, 'g', [{ topic: 'a', partition: 3 }, { topic: 'b', partition: 1 }, { topic: 'a', partition: 0 }, { topic: 'a', partition: 3 }]);
  assert.equal(fake.reads, [[{ topic: 'a', partitions: [3, 0] }, { topic: 'b', partitions: [1] }]]);
  assert.equal([...offsets].sort(), [['a/0', 5n], ['a/3', 9n], ['b/1', 2n]]);
});

test('a partition with no committed offset is absent', async () => {
  const fake = fakeAdmin({ 'a/0': '5' });
  const offsets = await fetchStableOffsets(fake.admin, 'g', [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }]);
  assert.equal([...offsets], [['a/0', 5n]]);
});

test('no partitions, no read: a read naming no topic would ask for every topic of the group', async () => {
  const fake = fakeAdmin({ 'a/0': '5' });
  assert.is((await fetchStableOffsets(fake.admin, 'g', [])).size, 0);
  assert.equal(fake.reads, []);
});

test.run();
