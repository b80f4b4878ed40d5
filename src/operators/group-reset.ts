import { setTimeout as delay } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { isChangelogOf } from '../streams/state/spec.ts';
import { OperatorError, exitCodes } from './errors.ts';

export interface OffsetChange {
  topic: string;
  partition: number;
  /** The committed offset before, or `none` when the group never committed on this partition. */
  from: string;
  to: string;
}

export interface GroupResetOptions {
  group: string;
  time: Date;
  /** Topics to reset; default: every topic the group has committed offsets for. */
  topics?: string[];
  dryRun?: boolean;
  /**
   * Delete the group's state store changelogs too, so its stage rebuilds its state from the new
   * offsets. Needed to move a stage with state back (see `resetGroupToTime`).
   */
  resetState?: boolean;
}

export interface GroupReset {
  changes: OffsetChange[];
  /** The group's changelog topics deleted (or, in a dry run, that would be): empty without `resetState`. */
  deletedChangelogs: string[];
}

/**
 * Moves a stopped group's committed offsets to the first record at or after a time, so the
 * stage re-reads from there when it starts. A running group would overwrite the offsets at its
 * next commit (and the broker refuses the change anyway), so any active member is a refusal.
 *
 * A stage with state stores skips, without outputs, every record its changelog's input-offset
 * marker says the state already holds (what a restart after a crash must not apply twice). Moved
 * back with its state kept, it would skip the whole replayed range in silence, so a move back of a
 * group that has changelogs is refused unless `resetState` deletes them: the stage then recreates
 * them at start and rebuilds its state from the records it reads again.
 */
export async function resetGroupToTime(admin: Admin, options: GroupResetOptions): Promise<GroupReset> {
  const { groups } = await admin.describeGroups([options.group]);
  const group = groups[0];
  if (group && group.members.length > 0) {
    throw new OperatorError(
      `group "${options.group}" has ${group.members.length} active member(s) (state ${group.state}): stop the stage first, then retry`,
      exitCodes.busy,
    );
  }
  const committed = await admin.fetchOffsets({ groupId: options.group, ...(options.topics ? { topics: options.topics } : {}) });
  const topics = options.topics ?? committed.map((c) => c.topic);
  if (topics.length === 0) {
    throw new OperatorError(
      `group "${options.group}" has no committed offsets: name the topics to reset with --topic`,
      exitCodes.notFound,
    );
  }
  const existing = await admin.listTopics();
  const known = new Set(existing);
  const missing = topics.filter((t) => !known.has(t));
  if (missing.length > 0) {
    throw new OperatorError(`unknown topic ${missing.map((m) => `"${m}"`).join(', ')}`, exitCodes.notFound);
  }

  const changes: OffsetChange[] = [];
  const targets = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const topic of topics) {
    const before = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]),
    );
    const target = await admin.fetchTopicOffsetsByTimestamp(topic, options.time.getTime());
    const partitions = target.map((t) => ({ partition: t.partition, offset: t.offset })).sort((a, b) => a.partition - b.partition);
    targets.set(topic, partitions);
    for (const p of partitions) {
      const from = before.get(p.partition);
      changes.push({ topic, partition: p.partition, from: from === undefined || from === '-1' ? 'none' : from, to: p.offset });
    }
  }

  const changelogs = await changelogsOf(admin, options.group, existing);
  const back = changes.filter((c) => c.from !== 'none' && BigInt(c.to) < BigInt(c.from));
  if (changelogs.length > 0 && back.length > 0 && !options.resetState) {
    throw new OperatorError(
      `group "${options.group}" keeps state (${changelogs.join(', ')}) and would move back on ${back.length} partition(s): ` +
        'its stage skips, without outputs, every record its state already holds. ' +
        'Add --reset-state to delete the changelog too, so the stage rebuilds its state from the new offsets',
      exitCodes.usage,
    );
  }
  const deletedChangelogs = options.resetState ? changelogs : [];
  if (options.dryRun) return { changes, deletedChangelogs };
  // Changelogs first: if setting the offsets then fails, the stage starts on empty state at its
  // old offsets (nothing skipped), and the command run again finds no changelog left to delete.
  if (deletedChangelogs.length > 0) {
    await admin.deleteTopics({ topics: deletedChangelogs, timeout: 30_000 });
    await untilGone(admin, deletedChangelogs);
  }
  await moveOffsets(admin, options.group, targets);
  return { changes, deletedChangelogs };
}

/**
 * Sets the offsets topic by topic (kafkajs has no call for several). A member that joins between
 * two topics makes the broker refuse the rest: the group is then half moved, so the refusal names
 * what moved and what did not, and running the command again (once the members stopped) moves
 * the rest, the moved topics to the same offsets again.
 */
async function moveOffsets(admin: Admin, group: string, targets: ReadonlyMap<string, Array<{ partition: number; offset: string }>>): Promise<void> {
  const moved: string[] = [];
  for (const [topic, partitions] of targets) {
    try {
      await admin.setOffsets({ groupId: group, topic, partitions });
    } catch (error) {
      const left = [...targets.keys()].filter((t) => !moved.includes(t));
      const what = `moved ${moved.length > 0 ? moved.join(', ') : 'no topic'}; not moved ${left.join(', ')}`;
      if (/running instances/i.test((error as Error).message)) {
        throw new OperatorError(`a member joined group "${group}" while its offsets were being moved (${what}): stop the stage, then run the command again`, exitCodes.busy);
      }
      throw new Error(`moving the offsets of group "${group}" failed on ${topic} (${what}): ${(error as Error).message}`, { cause: error });
    }
    moved.push(topic);
  }
}

/**
 * The group's own changelogs among `topics`. A group whose id extends this one's (`bridge.enrich-x`)
 * names its changelogs with this one's prefix too: those are its own. The groups are listed only
 * when some topic is named like a changelog of this one.
 */
async function changelogsOf(admin: Admin, group: string, topics: readonly string[]): Promise<string[]> {
  const named = topics.filter((topic) => isChangelogOf(group, topic));
  if (named.length === 0) return [];
  const longer = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(`${group}-`));
  return named.filter((topic) => !longer.some((id) => isChangelogOf(id, topic))).sort();
}

/** Waits until the broker lists none of `topics`: a stage started at once would otherwise find its old changelog still there, or fail to create it while it is being deleted. */
async function untilGone(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = new Set(await admin.listTopics());
    const left = topics.filter((topic) => listed.has(topic));
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new OperatorError(`the broker still lists ${left.join(', ')} ${timeoutMs / 1000} s after deleting it; run the command again before starting the stage`, exitCodes.busy);
    await delay(200);
  }
}
