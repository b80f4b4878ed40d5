import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OffsetSchedule, type PartitionOffset } from '../../../src/streams/offset-schedule.ts';

function schedule(intervalMs: number, fail?: () => Error | undefined) {
  const commits: string[][] = [];
  const committed: string[][] = [];
  const show = (offsets: readonly PartitionOffset[]) => offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`);
  const commit = async (offsets: readonly PartitionOffset[]) => {
    commits.push(show(offsets));
    const error = fail?.();
    if (error) throw error;
  };
  const s = new OffsetSchedule({ intervalMs, commit, onCommitted: (offsets) => committed.push(show(offsets)), onTimerError: () => undefined });
  return { s, commit, commits, committed };
}

const at = (partition: number, offset: number): PartitionOffset => ({ topic: 't', partition, offset: String(offset) });

/** The error a promise rejects with (undefined when it resolves). */
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

test('within the interval offsets wait; once it passed, every partition goes in one commit with its latest offset', async () => {
  const { s, commit, commits, committed } = schedule(60_000);
  await s.add(at(0, 10), commit, false);
  await s.add(at(1, 5), commit, false);
  await s.add(at(0, 20), commit, false);
  assert.equal(commits, [], 'nothing committed inside the interval');
  await s.flush();
  assert.equal(commits, [['t/0@20', 't/1@5']], 'one commit, the latest offset per partition');
  assert.equal(committed, commits, 'reported once committed');
  await s.flush();
  assert.is(commits.length, 1, 'nothing pending: no empty commit');
});

test('a stopping consumer commits at once; an interval of 0 commits every chunk', async () => {
  const a = schedule(60_000);
  await a.s.add(at(0, 3), a.commit, true);
  assert.equal(a.commits, [['t/0@3']]);
  const b = schedule(0);
  await b.s.add(at(0, 1), b.commit, false);
  await b.s.add(at(0, 2), b.commit, false);
  assert.equal(b.commits, [['t/0@1'], ['t/0@2']]);
});

test('a failed commit keeps its offsets for the next one, unless a newer offset came meanwhile', async () => {
  let failNext = true;
  const { s, commit, commits, committed } = schedule(60_000, () => (failNext ? ((failNext = false), new Error('REBALANCE_IN_PROGRESS')) : undefined));
  await s.add(at(0, 10), commit, false);
  await s.add(at(1, 7), commit, false);
  assert.match(String(await rejection(s.flush())), /REBALANCE/);
  assert.equal(committed, [], 'a failed commit is not reported');
  await s.add(at(0, 12), commit, false);
  await s.flush();
  assert.equal(commits.at(-1), ['t/0@12', 't/1@7'], 'the newer offset of partition 0, the kept one of partition 1');
});

test('after a rebalance, offsets of partitions no longer owned are dropped, never committed late', async () => {
  const { s, commit, commits } = schedule(60_000);
  await s.add(at(0, 10), commit, false);
  await s.add(at(1, 7), commit, false);
  s.keepOnly([{ topic: 't', partition: 1 }]);
  await s.flush();
  assert.equal(commits, [['t/1@7']]);
});

test('commits run one after another, so an earlier offset never lands after a later one', async () => {
  const order: string[] = [];
  let release!: () => void;
  const slow = (offsets: readonly PartitionOffset[]) => {
    order.push(`start ${offsets[0]!.offset}`);
    return new Promise<void>((resolve) => (release = () => (order.push(`end ${offsets[0]!.offset}`), resolve())));
  };
  const s = new OffsetSchedule({ intervalMs: 60_000, commit: slow, onCommitted: () => undefined, onTimerError: () => undefined });
  await s.add(at(0, 1), slow, false);
  const first = s.flush();
  await new Promise((resolve) => setImmediate(resolve));
  await s.add(at(0, 2), slow, false);
  const second = s.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(order, ['start 1'], 'the second commit waits for the first');
  release();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await second;
  assert.equal(order, ['start 1', 'end 1', 'start 2', 'end 2']);
});

test.run();
