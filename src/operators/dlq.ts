import type { Admin, IHeaders, Kafka, KafkaMessage, Message } from 'kafkajs';
import { keepReceivedAt } from './received-at.ts';
import { assertTopicsExist } from './replay-plan.ts';
import { dlqHeaderPrefix, dlqHeaders } from '../streams/dead-letter.ts';
import { readRange, type PartitionRange } from './read-range.ts';

/** The header names written with every dead letter (docs/design.md §2), as the runtime defines them. */
export { dlqHeaders };

export const redrivenFromHeader = 'redriven-from';

export interface ReasonSummary {
  reason: string;
  count: number;
  first: Date;
  last: Date;
  /** Source topics these dead letters came from; topic names only, never keys or values. */
  sources: string[];
}

export interface DlqSource {
  topic: string;
  partition: number;
  offset: string;
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Parses `dlq-source` (`topic/partition/offset`); the topic is all before the last two parts. */
export function parseDlqSource(text: string | undefined): DlqSource | undefined {
  const match = text === undefined ? null : /^(.+)\/(\d+)\/(\d+)$/.exec(text);
  if (!match) return undefined;
  const [, topic, partition, offset] = match as unknown as [string, string, string, string];
  return { topic, partition: Number(partition), offset };
}

const unknownReason = 'unknown';

/** Folds dead letters into per-reason counts; reads only headers and timestamps, so no PHI. */
export function summarize(messages: Iterable<KafkaMessage>): ReasonSummary[] {
  const byReason = new Map<string, ReasonSummary>();
  addToSummary(byReason, messages);
  return mostFrequentFirst(byReason);
}

function mostFrequentFirst(byReason: ReadonlyMap<string, ReasonSummary>): ReasonSummary[] {
  return [...byReason.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/**
 * Adds dead letters to per-reason counts, each dated when it failed (`dlq-failed-at`): the
 * record's own timestamp is its input's, kept so a redrive puts it back as it was.
 */
function addToSummary(byReason: Map<string, ReasonSummary>, messages: Iterable<KafkaMessage>): void {
  for (const m of messages) {
    const reason = headerText(m.headers, dlqHeaders.reason) ?? unknownReason;
    const failedAt = Number(headerText(m.headers, dlqHeaders.failedAt));
    const at = new Date(Number.isFinite(failedAt) && failedAt > 0 ? failedAt : Number(m.timestamp));
    const source = parseDlqSource(headerText(m.headers, dlqHeaders.source))?.topic;
    const entry = byReason.get(reason);
    if (!entry) {
      byReason.set(reason, { reason, count: 1, first: at, last: at, sources: source ? [source] : [] });
      continue;
    }
    entry.count += 1;
    if (at < entry.first) entry.first = at;
    if (at > entry.last) entry.last = at;
    if (source && !entry.sources.includes(source)) entry.sources.push(source);
  }
}

/** Every offset a dead-letter topic holds right now: list and redrive work on this snapshot. */
export async function snapshotRanges(admin: Admin, topic: string): Promise<PartitionRange[]> {
  await assertTopicsExist(admin, [topic]);
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.high }));
}

export async function listDeadLetters(kafka: Kafka, topic: string): Promise<ReasonSummary[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ranges = await snapshotRanges(admin, topic).finally(() => admin.disconnect());
  // Folded batch by batch: a topic of a million dead letters is never held whole.
  const byReason = new Map<string, ReasonSummary>();
  await readRange(kafka, topic, ranges, async (_partition, messages) => addToSummary(byReason, messages));
  return mostFrequentFirst(byReason);
}

export interface RedriveOptions {
  reason?: string;
  dryRun?: boolean;
}

export interface RedriveResult {
  /** Per source topic, how many records went (or would go) back. */
  byTopic: Record<string, number>;
  /** Dead letters matching the reason but without a usable `dlq-source`: left where they are. */
  withoutSource: number;
  /** Dead letters whose source topic no longer exists: left where they are. */
  unknownTopic: number;
  /** Dead letters of a record already sent back in this redrive (it failed again after an earlier one). */
  repeats: number;
}

/**
 * The first dead letter of a record: where an earlier redrive took it from (its `redriven-from`
 * header, when that names this dead-letter topic), else the dead letter itself. A record that
 * failed again after a redrive is in the topic twice; both have one origin and go back once, so
 * repeated redrives of records that keep failing do not double them each time.
 */
export function deadLetterOrigin(dlqTopic: string, partition: number, message: KafkaMessage): string {
  const from = parseDlqSource(headerText(message.headers, redrivenFromHeader));
  return from?.topic === dlqTopic ? `${from.partition}/${from.offset}` : `${partition}/${message.offset}`;
}

/**
 * The record as it was before it failed: same key and value, its own headers without dlq-*, and
 * `redriven-from` naming its first dead letter (deadLetterOrigin), not the one sent: once the first
 * has aged out or a later one is read first, each redrive would otherwise start a chain of its own
 * and send the record back once more than the last.
 */
export function redriveMessage(dlqTopic: string, partition: number, message: KafkaMessage): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!name.startsWith(dlqHeaderPrefix) && value !== undefined) headers[name] = value;
  }
  headers[redrivenFromHeader] = `${dlqTopic}/${deadLetterOrigin(dlqTopic, partition, message)}`;
  keepReceivedAt(headers, message);
  return { key: message.key, value: message.value, headers };
}

/**
 * Sends dead letters back to the topic each came from (its `dlq-source` header), each record once
 * (deadLetterOrigin). The dead-letter topic is left as it is, so a redrive can be repeated; the
 * stages are idempotent by event id.
 */
export async function redriveDeadLetters(kafka: Kafka, topic: string, options: RedriveOptions = {}): Promise<RedriveResult> {
  const admin = kafka.admin();
  await admin.connect();
  let ranges: PartitionRange[];
  let existing: Set<string>;
  try {
    ranges = await snapshotRanges(admin, topic);
    existing = new Set(await admin.listTopics());
  } finally {
    await admin.disconnect();
  }

  const result: RedriveResult = { byTopic: {}, withoutSource: 0, unknownTopic: 0, repeats: 0 };
  const origins = new Set<string>();
  /** Origins a send took back, kept across a failed batch's retry. */
  const sent = new Set<string>();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  if (!options.dryRun) await producer.connect();
  try {
    await readRange(kafka, topic, ranges, async (partition, messages) => {
      // Counted and remembered once the batch is sent: a batch whose send fails comes again whole,
      // and what one of its sends already took back is not sent a second time.
      const outgoing = new Map<string, { messages: Message[]; origins: string[] }>();
      const seen = new Set<string>();
      const counted: RedriveResult = { byTopic: {}, withoutSource: 0, unknownTopic: 0, repeats: 0 };
      for (const m of messages) {
        if (options.reason !== undefined && headerText(m.headers, dlqHeaders.reason) !== options.reason) continue;
        const origin = deadLetterOrigin(topic, partition, m);
        if (origins.has(origin) || seen.has(origin)) {
          counted.repeats += 1;
          continue;
        }
        seen.add(origin);
        const source = parseDlqSource(headerText(m.headers, dlqHeaders.source));
        if (!source) {
          counted.withoutSource += 1;
          continue;
        }
        if (!existing.has(source.topic)) {
          counted.unknownTopic += 1;
          continue;
        }
        counted.byTopic[source.topic] = (counted.byTopic[source.topic] ?? 0) + 1;
        if (sent.has(origin)) continue;
        const batch = outgoing.get(source.topic) ?? { messages: [], origins: [] };
        batch.messages.push(redriveMessage(topic, partition, m));
        batch.origins.push(origin);
        outgoing.set(source.topic, batch);
      }
      if (!options.dryRun) {
        for (const [target, batch] of outgoing) {
          await producer.send({ topic: target, acks: -1, messages: batch.messages });
          for (const origin of batch.origins) sent.add(origin);
        }
      }
      for (const origin of seen) origins.add(origin);
      addCounts(result, counted);
    });
  } finally {
    if (!options.dryRun) await producer.disconnect();
  }
  return result;
}

function addCounts(into: RedriveResult, counted: RedriveResult): void {
  for (const [target, n] of Object.entries(counted.byTopic)) into.byTopic[target] = (into.byTopic[target] ?? 0) + n;
  into.withoutSource += counted.withoutSource;
  into.unknownTopic += counted.unknownTopic;
  into.repeats += counted.repeats;
}
