import type { Admin } from 'kafkajs';
import { OperatorError, exitCodes } from './errors.ts';
import { rangeSize, type PartitionRange } from './read-range.ts';

/** What to copy: a time window, or explicit offsets per partition (`0:100-200` = [100, 200)). */
export type ReplaySelection =
  | { kind: 'time'; start?: Date; end?: Date }
  | { kind: 'offsets'; ranges: PartitionRange[] };

export interface ReplayPlan {
  topic: string;
  ranges: PartitionRange[];
  total: number;
}

/** Parses an ISO-8601 time given on the command line; a bad one is a usage error, not a crash. */
export function parseTime(option: string, text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time.getTime())) {
    throw new OperatorError(`${option} "${text}" is not an ISO-8601 time, e.g. 2025-01-31T08:00:00Z`, exitCodes.usage);
  }
  return time;
}

/** Parses `--offsets 0:100-200,1:5-9`: per partition, start inclusive, end exclusive. */
export function parseOffsets(text: string): PartitionRange[] {
  const ranges = text.split(',').map((part) => {
    const match = /^\s*(\d+):(\d+)-(\d+)\s*$/.exec(part);
    if (!match) {
      throw new OperatorError(`--offsets "${part}" must look like <partition>:<start>-<end>, e.g. 0:100-200`, exitCodes.usage);
    }
    const [, partition, start, end] = match as unknown as [string, string, string, string];
    if (BigInt(end) < BigInt(start)) {
      throw new OperatorError(`--offsets ${part}: end ${end} is before start ${start}`, exitCodes.usage);
    }
    return { partition: Number(partition), start, end };
  });
  const seen = new Set<number>();
  for (const range of ranges) {
    if (seen.has(range.partition)) {
      throw new OperatorError(`--offsets names partition ${range.partition} twice`, exitCodes.usage);
    }
    seen.add(range.partition);
  }
  return ranges;
}

export function checkWindow(start: Date | undefined, end: Date | undefined): void {
  if (start && end && end.getTime() < start.getTime()) {
    throw new OperatorError(
      `--end ${end.toISOString()} is before --start ${start.toISOString()}: nothing to replay`,
      exitCodes.usage,
    );
  }
}

export async function assertTopicsExist(admin: Admin, names: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((name) => !existing.has(name));
  if (missing.length > 0) {
    throw new OperatorError(`unknown topic ${missing.map((m) => `"${m}"`).join(', ')}: see \`bridge topics create\``, exitCodes.notFound);
  }
}

/**
 * Turns a selection into offset ranges using the broker's own time index (the first offset whose
 * timestamp is at or after the time), clipped to what the partition holds right now, so a replay
 * copies a fixed snapshot even while producers keep writing.
 */
export async function planReplay(admin: Admin, topic: string, selection: ReplaySelection): Promise<ReplayPlan> {
  await assertTopicsExist(admin, [topic]);
  const watermarks = await admin.fetchTopicOffsets(topic);
  const bounds = new Map(watermarks.map((w) => [w.partition, { low: w.low, high: w.high }]));
  let ranges: PartitionRange[];

  if (selection.kind === 'offsets') {
    ranges = selection.ranges.map((range) => {
      const bound = bounds.get(range.partition);
      if (!bound) {
        throw new OperatorError(`topic "${topic}" has no partition ${range.partition}`, exitCodes.notFound);
      }
      return { partition: range.partition, start: maxOffset(range.start, bound.low), end: minOffset(range.end, bound.high) };
    });
  } else {
    checkWindow(selection.start, selection.end);
    const startOffsets = selection.start ? await offsetsAt(admin, topic, selection.start) : undefined;
    const endOffsets = selection.end ? await offsetsAt(admin, topic, selection.end) : undefined;
    ranges = [...bounds.entries()].map(([partition, bound]) => ({
      partition,
      start: maxOffset(startOffsets?.get(partition) ?? bound.low, bound.low),
      end: minOffset(endOffsets?.get(partition) ?? bound.high, bound.high),
    }));
  }
  ranges = ranges
    .map((r) => (BigInt(r.end) < BigInt(r.start) ? { ...r, end: r.start } : r))
    .sort((a, b) => a.partition - b.partition);
  return { topic, ranges, total: ranges.reduce((sum, r) => sum + rangeSize(r), 0) };
}

async function offsetsAt(admin: Admin, topic: string, time: Date): Promise<Map<number, string>> {
  const found = await admin.fetchTopicOffsetsByTimestamp(topic, time.getTime());
  return new Map(found.map((f) => [f.partition, f.offset]));
}

const maxOffset = (a: string, b: string) => (BigInt(a) > BigInt(b) ? a : b);
const minOffset = (a: string, b: string) => (BigInt(a) < BigInt(b) ? a : b);
