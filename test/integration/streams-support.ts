// Helpers shared by the stream runtime's integration tests (not a test file itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Admin, Kafka, Message } from 'kafkajs';
import { setTimeout as delay } from 'node:timers/promises';
import { createTopics, kafkaClient, testConsumer, unique } from '../support/services.ts';
import { reliableProducer } from '../../src/streams/producers.ts';
import { runTopology, serdes, StreamEvents, StreamsBuilder, type RunningTopology, type RunOptions, type Topology } from '../../src/streams/index.ts';

/**
 * Run options of the crash tests' workers: small chunks, so a kill lands between commits rather
 * than after everything; the broker's minimum session, so a killed member is noticed quickly.
 */
export const crashWorkerRunOptions = { maxBatchRecords: 100, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 10_000 } as const;

export interface StageTopics {
  readonly kafka: Kafka;
  /** Connected; `remove` disconnects it. */
  readonly admin: Admin;
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly deadLetters: string;
  /** Deletes the topics and disconnects the admin. */
  remove(): Promise<void>;
}

/** A one-step stage's topics for one test, on the real broker: `<name>.in`, `<name>.out` and `dlq.<name>`. */
export async function stageTopics(prefix: string, partitions = 1): Promise<StageTopics> {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const name = unique(prefix);
  const input = `${name}.in`;
  const output = `${name}.out`;
  const deadLetters = `dlq.${name}`;
  await createTopics(admin, [input, output, deadLetters], partitions);
  return {
    kafka, admin, name, input, output, deadLetters,
    async remove() {
      await admin.deleteTopics({ topics: [input, output, deadLetters] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

export interface Seen {
  key: string;
  value: string;
  /** The value's bytes, when a binary value must be read as it is (readAll). */
  raw?: Buffer | undefined;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Produces in slices so one request stays small; acks=all, with the pipeline's idempotent producer (a retried send under load would otherwise write its records twice). */
export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = reliableProducer(kafka);
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1_000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1_000) });
  } finally {
    await producer.disconnect();
  }
}

/** Polls `check` until it returns true or the deadline passes (then fails with `describe()`). */
export async function waitUntil(check: () => boolean | Promise<boolean>, deadlineMs: number, describe: () => string): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up after ${deadlineMs} ms: ${describe()}`);
    await delay(50);
  }
}

/**
 * Reads a topic from the beginning with a fresh group until `done(seen)` holds.
 * read_committed unless told otherwise, as downstream stages read.
 */
export async function readUntil(
  kafka: Kafka,
  topic: string,
  done: (seen: Seen[]) => boolean,
  options: { deadlineMs?: number; readUncommitted?: boolean } = {},
): Promise<Seen[]> {
  const consumer = testConsumer(kafka, { groupId: `reader-${topic}-${Math.random().toString(16).slice(2)}`, readUncommitted: options.readUncommitted ?? false });
  const seen: Seen[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(Array.isArray(value) ? value[0] : value);
        seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers, partition, offset: message.offset });
      },
    });
    await waitUntil(() => done(seen), options.deadlineMs ?? 60_000, () => `read ${seen.length} records from ${topic}`);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

/** Sum of committed offsets of a group on a topic (what the group will not read again). */
export async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsetsTotal(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads a whole topic (every partition up to its current end, transaction markers included)
 * and returns what a reader with that isolation sees. Call once nothing writes any more.
 */
export async function readAll(kafka: Kafka, topic: string, options: { readUncommitted?: boolean; deadlineMs?: number } = {}): Promise<Seen[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const reached = new Map<number, bigint>();
  const consumer = testConsumer(kafka, { groupId: `read-all-${topic}-${Math.random().toString(16).slice(2)}`, readUncommitted: options.readUncommitted ?? false });
  const seen: Seen[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(Array.isArray(value) ? value[0] : value);
          seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', raw: message.value ?? undefined, headers, partition: batch.partition, offset: message.offset });
        }
        // lastOffset() counts control records (commit/abort markers), which end a transactional log.
        reached.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
      },
    });
    const done = () => [...ends].every(([partition, end]) => end === 0n || (reached.get(partition) ?? 0n) >= end);
    await waitUntil(done, options.deadlineMs ?? 60_000, () => `read ${seen.length} records of ${topic}; positions ${JSON.stringify([...reached].map(([p, o]) => [p, String(o)]))} of ${JSON.stringify([...ends].map(([p, o]) => [p, String(o)]))}`);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

/** Starts a worker script in its own process (the crash tests kill it), stdout piped. */
export function startWorker(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Sends `signal` and waits for the process to exit (at once if it already has). */
export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Follows a topic from the beginning into `seen` while a worker runs, so a test knows how far it got. */
export async function follow(kafka: Kafka, topic: string, readUncommitted: boolean, seen: Seen[]) {
  const consumer = testConsumer(kafka, { groupId: `follow-${topic}-${Math.random().toString(16).slice(2)}`, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers: {}, partition, offset: message.offset });
    },
  });
  return consumer;
}

/** A topology that counts each key's records of `topics` in a key-value store `counts` and writes the running count to `<name>.out`. */
export function countingTopology(name: string, topics: readonly string[]): Topology {
  const builder = new StreamsBuilder(name);
  const counts = builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.json<number>() });
  builder
    .stream('in', { topics: [...topics], key: serdes.string(), value: serdes.string() })
    .mapValues('count', async (_value, record, ctx) => {
      const next = ((await ctx.store(counts).get(record.key)) ?? 0) + 1;
      await ctx.store(counts).put(record.key, next);
      return String(next);
    })
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  return builder.build();
}

/** A counting topology (countingTopology) run on Kafka over fresh topics, with what its tests read and a stop that removes them. */
export interface CountingStage {
  readonly kafka: Kafka;
  readonly running: RunningTopology;
  readonly events: StreamEvents;
  /** Records processed so far. */
  processed(): number;
  /** Each key's committed count as this instance answers it (`where` when another instance holds it). */
  counts(keys: readonly string[]): Promise<unknown[]>;
  /** Stops the stage and deletes its topics, changelog included. */
  stop(): Promise<void>;
}

/** Starts countingTopology(name, sources) with `partitions` partitions per topic; `options` go to runTopology. */
export async function countingStage(name: string, sources: readonly string[], partitions: number, options: Omit<RunOptions, 'kafka' | 'events'> = {}): Promise<CountingStage> {
  const kafka = kafkaClient(name);
  const admin = kafka.admin();
  await admin.connect();
  const topics = [...sources, `${name}.out`, `dlq.${name}`];
  await createTopics(admin, topics, partitions);
  const events = new StreamEvents();
  let processed = 0;
  events.on('processed', (e) => (processed += Object.values(e.recordsIn).reduce((n, c) => n + c, 0)));
  const running = await runTopology(countingTopology(name, sources), { ...options, kafka, events });
  return {
    kafka,
    running,
    events,
    processed: () => processed,
    counts: async (keys) => (await Promise.all(keys.map((key) => running.queryStore('counts', key)))).map((answer) => (answer.where === 'here' ? answer.value : answer.where)),
    async stop() {
      await running.stop();
      await admin.deleteTopics({ topics: [...topics, `bridge.${name}-counts-changelog`] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
