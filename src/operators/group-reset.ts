import type { Admin } from 'kafkajs';
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
}

/**
 * Moves a stopped group's committed offsets to the first record at or after a time, so the
 * stage re-reads from there when it starts. A running group would overwrite the offsets at its
 * next commit (and the broker refuses the change anyway), so any active member is a refusal.
 */
export async function resetGroupToTime(admin: Admin, options: GroupResetOptions): Promise<OffsetChange[]> {
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
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new OperatorError(`unknown topic ${missing.map((m) => `"${m}"`).join(', ')}`, exitCodes.notFound);
  }

  const changes: OffsetChange[] = [];
  for (const topic of topics) {
    const before = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, p.offset]),
    );
    const target = await admin.fetchTopicOffsetsByTimestamp(topic, options.time.getTime());
    const partitions = target.map((t) => ({ partition: t.partition, offset: t.offset })).sort((a, b) => a.partition - b.partition);
    for (const p of partitions) {
      const from = before.get(p.partition);
      changes.push({ topic, partition: p.partition, from: from === undefined || from === '-1' ? 'none' : from, to: p.offset });
    }
    if (!options.dryRun) await admin.setOffsets({ groupId: options.group, topic, partitions });
  }
  return changes;
}
