import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { PartitionWork } from '../../../src/streams/partition-work.ts';

const p0 = { topic: 't', partition: 0 };
const p1 = { topic: 't', partition: 1 };

test('work on one partition runs one piece at a time; other partitions do not wait', async () => {
  const work = new PartitionWork();
  const trace: string[] = [];
  const piece = (name: string, ms: number) => async () => {
    trace.push(`start ${name}`);
    await delay(ms);
    trace.push(`end ${name}`);
  };
  await Promise.all([work.run(p0, piece('a', 30)), work.run(p0, piece('b', 1)), work.run(p1, piece('c', 1))]);
  assert.ok(trace.indexOf('end a') < trace.indexOf('start b'), `expected b to wait for a on the same partition: ${trace.join(', ')}`);
  assert.ok(trace.indexOf('end c') < trace.indexOf('end a'), `expected c on another partition not to wait for a: ${trace.join(', ')}`);
  const failed = await work.run(p0, async () => Promise.reject(new Error('boom'))).then(() => 'resolved', () => 'rejected');
  assert.is(failed, 'rejected', 'expected a failure to reach its caller');
  assert.is(await work.run(p0, async () => 'next'), 'next', 'expected a failure not to block the next piece');
});

test('by partition number, partition n of two topics takes turns (stores shared by the topics); commits stay per topic', async () => {
  const work = new PartitionWork({ byPartitionNumber: true });
  const trace: string[] = [];
  const piece = (name: string, ms: number) => async () => {
    trace.push(`start ${name}`);
    await delay(ms);
    trace.push(`end ${name}`);
  };
  const other = { topic: 'u', partition: 0 };
  await Promise.all([work.run(p0, piece('t0', 30)), work.run(other, piece('u0', 1)), work.run(p1, piece('t1', 1))]);
  assert.ok(trace.indexOf('end t0') < trace.indexOf('start u0'), `expected u/0 to wait for t/0: ${trace.join(', ')}`);
  assert.ok(trace.indexOf('end t1') < trace.indexOf('end t0'), `expected t/1 not to wait for t/0: ${trace.join(', ')}`);
  const commits: string[] = [];
  await work.commit(p0, '10', async () => void commits.push('t/0 10'));
  await work.commitIfAhead(other, '5', () => true, async () => void commits.push('u/0 5'));
  assert.equal(commits, ['t/0 10', 'u/0 5'], 'expected each topic’s partition to keep its own last commit');
});

test('commitIfAhead never moves a partition back, and skips a partition no longer owned', async () => {
  const work = new PartitionWork();
  const commits: string[] = [];
  await work.commit(p0, '10', async () => void commits.push('10'));
  await work.commitIfAhead(p0, '10', () => true, async () => void commits.push('10 again'));
  await work.commitIfAhead(p0, '8', () => true, async () => void commits.push('8'));
  await work.commitIfAhead(p0, '12', () => false, async () => void commits.push('12 not owned'));
  await work.commitIfAhead(p0, '12', () => true, async () => void commits.push('12'));
  assert.equal(commits, ['10', '12'], 'expected only commits ahead of the last one, on an owned partition');
});

test.run();
