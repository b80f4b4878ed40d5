import type { Kafka, Producer, RecordMetadata } from 'kafkajs';
import type { Logger } from '../obs/logger.ts';
import { errorName } from './error-policy.ts';
import type { PartitionRef, StreamEvents } from './events.ts';
import { CoalescedSends } from './coalesced-sends.ts';
import { OffsetSchedule, type CommitOffsets, type PartitionOffset } from './offset-schedule.ts';
import { reliableProducer, toTopicMessages } from './producers.ts';
import { isKafkaUnavailable } from './kafka-unavailable.ts';
import type { OutgoingRecord } from './record.ts';

/** A processed chunk of one partition: its outputs (dead letters included) and the next offset. */
export interface Chunk extends PartitionRef {
  outputs: readonly OutgoingRecord[];
  /** The offset to resume from: last processed + 1. */
  nextOffset: string;
  /** State store changes of the chunk, for the stores' changelog topics. */
  changelog?: readonly OutgoingRecord[];
  /**
   * Writes the chunk's state changes to local storage, once the changelog holds them, with the
   * offset where each changelog topic's records of the chunk begin (when the send reported it).
   */
  applyState?(changelogOffsets?: ReadonlyMap<string, string>): Promise<void>;
  /**
   * Commits offsets through the consumer group (at-least-once). It comes from the batch being
   * handled because kafkajs' consumer.commitOffsets is a no-op once stop() began, which would lose
   * the commit of the last chunks of a graceful shutdown.
   */
  commitConsumerOffsets: CommitOffsets;
}

/** How a delivery mode makes a chunk durable. */
export interface Committer {
  connect(): Promise<void>;
  commit(chunk: Chunk): Promise<void>;
  /** Commits input offsets held back for the commit interval (before a rebalance or a stop). */
  flush(): Promise<void>;
  /** The partitions this instance owns now (after a rebalance). */
  assigned(partitions: readonly PartitionRef[]): Promise<void>;
  /**
   * The first offset of a newly assigned partition that is not yet durable, when the mode knows
   * it better than the consumer's own offset fetch (undefined: trust the consumer's position).
   */
  resumeFrom(ref: PartitionRef): Promise<bigint | undefined>;
  close(): Promise<void>;
}

interface CommitterOptions {
  kafka: Kafka;
  /** at-least-once: the least time between two offset commits, ms (0: every chunk). */
  commitIntervalMs: number;
  /** at-least-once: the consumer's commit, for offsets committed by the timer or before a rebalance. */
  commitOffsets: CommitOffsets;
  /** at-least-once: true once the runner stops, so every chunk still finishing commits at once. */
  stopping: () => boolean;
  topology: string;
  groupId: string;
  transactionalIdPrefix: string;
  events: StreamEvents;
  log: Logger;
}

/**
 * Send, wait for acks=all, then commit the offsets: a crash in between replays, never loses.
 * The changelog goes after the outputs, so a restored store's input-offset marker never covers
 * a record whose outputs were not acknowledged; the offsets go last, held back for the commit
 * interval and committed for every partition at once. Sends of chunks handled at once share one
 * produce request.
 */
export function atLeastOnceCommitter(options: CommitterOptions): Committer {
  const producer = reliableProducer(options.kafka);
  const sends = new CoalescedSends((topicMessages) => producer.sendBatch({ topicMessages, acks: -1 }));
  const schedule = new OffsetSchedule({
    intervalMs: options.commitIntervalMs,
    commit: options.commitOffsets,
    onCommitted: (offsets: readonly PartitionOffset[]) => {
      for (const { topic, partition, offset } of offsets) options.events.emit('committed', { topology: options.topology, topic, partition, offset, transactional: false });
    },
    onTimerError: (error) => options.log.warn({ error: errorName(error) }, 'committing offsets failed; the next commit carries them'),
  });
  return {
    async connect() {
      await producer.connect();
      schedule.start();
    },
    async commit(chunk) {
      if (chunk.outputs.length > 0) await sends.send(toTopicMessages(chunk.outputs));
      const written = chunk.changelog && chunk.changelog.length > 0 ? await sends.send(toTopicMessages(chunk.changelog)) : [];
      await chunk.applyState?.(firstOffsets(written, chunk.changelog));
      await schedule.add({ topic: chunk.topic, partition: chunk.partition, offset: chunk.nextOffset }, chunk.commitConsumerOffsets, options.stopping());
    },
    flush: () => schedule.flush(),
    assigned: async (partitions) => schedule.keepOnly(partitions),
    resumeFrom: async () => undefined,
    async close() {
      schedule.stop();
      await producer.disconnect();
    },
  };
}

/**
 * Outputs and input offsets in one transaction. kafkajs lacks KIP-447's consumer group metadata
 * in the transaction, so zombies are fenced the classic way: one transactional producer per
 * input partition, its id derived from group, topic and partition. Whoever gets the partition
 * next initialises the same id, which bumps the epoch and fences the previous owner.
 *
 * Fencing alone left duplicates: the consumer fetches its committed offsets when it joins, and
 * an offset a previous owner committed in a transaction whose markers are still being written
 * was not visible yet, so the new owner read the older offset and processed again records whose
 * outputs were already committed. Initialising the id returns only once the previous owner's
 * transaction is complete, and the read after it asks for stable offsets (the patched client's
 * KIP-447 require_stable fetch, which the consumer's own fetch at join uses too); `resumeFrom`
 * gives it, and the runner skips what lies below it.
 *
 * The same stale fetch happens to a partition this instance keeps across a rebalance (a broker
 * restart makes every member rejoin): kafkajs fetches the offsets again at every join, even while
 * batches of other partitions are still committing, and our own last transaction may not be
 * visible yet. Nothing fences there, so the offset this instance itself committed last (read
 * when the partition's next batch starts, after any commit in flight) is the floor.
 */
export function exactlyOnceCommitter(options: CommitterOptions): Committer {
  const producers = new Map<string, Promise<Producer>>();
  const idFor = (ref: PartitionRef) => `${options.transactionalIdPrefix}-${options.groupId}-${ref.topic}-${ref.partition}`;
  const admin = options.kafka.admin();
  let resumeOffsets = new Map<string, Promise<bigint | undefined>>();
  /**
   * The input offset of the last transaction this process committed per transactional id. Kept
   * when a producer is dropped: a committed offset only moves forward (a reset needs the group
   * empty, so a new process), so it is a floor even after fencing, when a fetch during a broker
   * restart answered stale or empty.
   */
  const committedByUs = new Map<string, bigint>();

  /** The group's committed offset once the partition's transactional id is initialised (`fenced`). */
  const stableOffset = async (ref: PartitionRef, fenced?: Promise<unknown>): Promise<bigint | undefined> => {
    // While Kafka does not answer (a broker restarting), keep trying: a guess would mean duplicates.
    for (let attempt = 1; ; attempt++) {
      try {
        await (attempt === 1 && fenced ? fenced : producerFor(ref));
        return await committedOffset(ref);
      } catch (error) {
        if (!isKafkaUnavailable(error) || attempt >= 60) {
          options.log.warn({ error: errorName(error), topic: ref.topic, partition: ref.partition }, 'reading the committed offset after fencing failed; resuming where the consumer fetched');
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  const committedOffset = async (ref: PartitionRef): Promise<bigint | undefined> => {
    const [topic] = await admin.fetchOffsets({ groupId: options.groupId, topics: [ref.topic] });
    const offset = topic?.partitions.find((p) => p.partition === ref.partition)?.offset;
    return offset === undefined || offset === '-1' ? undefined : BigInt(offset);
  };

  const producerFor = (ref: PartitionRef): Promise<Producer> => {
    const id = idFor(ref);
    let producer = producers.get(id);
    if (!producer) {
      const created = reliableProducer(options.kafka, id);
      // kafkajs's connect() asks for a producer id without the transactional id; the
      // transactional one, which fences the previous owner and completes (aborts) its open
      // transaction, only comes with the first transaction. An empty one begun and dropped at
      // once (its abort sends nothing) fences now, at assignment, before the offset is read.
      producer = created.connect().then(async () => {
        const fence = await created.transaction();
        await fence.abort();
        return created;
      });
      producers.set(id, producer);
      producer.catch(() => producers.delete(id));
    }
    return producer;
  };
  const drop = async (id: string) => {
    const producer = producers.get(id);
    producers.delete(id);
    await producer?.then((p) => p.disconnect()).catch((error: unknown) => options.log.warn({ error: errorName(error) }, 'closing a transactional producer failed'));
  };

  return {
    connect: () => admin.connect(),
    // Offsets go inside each chunk's transaction: nothing is held back.
    flush: async () => {},
    async commit(chunk) {
      const producer = await producerFor(chunk);
      const transaction = await producer.transaction();
      let changelogOffsets: Map<string, string> | undefined;
      try {
        const records = chunk.changelog && chunk.changelog.length > 0 ? [...chunk.outputs, ...chunk.changelog] : chunk.outputs;
        const written = records.length > 0 ? await transaction.sendBatch({ topicMessages: toTopicMessages(records), acks: -1 }) : [];
        changelogOffsets = firstOffsets(written, chunk.changelog);
        await transaction.sendOffsets({
          consumerGroupId: options.groupId,
          topics: [{ topic: chunk.topic, partitions: [{ partition: chunk.partition, offset: chunk.nextOffset }] }],
        });
        await transaction.commit();
        committedByUs.set(idFor(chunk), BigInt(chunk.nextOffset));
      } catch (error) {
        await transaction.abort().catch((abortError: unknown) => options.log.warn({ error: errorName(abortError) }, 'aborting a transaction failed'));
        options.events.emit('transaction-aborted', { topology: options.topology, topic: chunk.topic, partition: chunk.partition, error: errorName(error) });
        // A fenced or broken producer cannot be reused; the next owner of the partition makes a new one.
        await drop(idFor(chunk));
        // The commit may have reached the coordinator even so (a broker restarting under the
        // EndTxn): the chunk is retried, so resume from what the group really committed, read once
        // a new producer has completed that transaction either way.
        // If it did commit, the retry skips the chunk, so its state changes are applied here.
        const resumed = stableOffset(chunk).then(async (offset) => {
          const committed = offset !== undefined && offset >= BigInt(chunk.nextOffset);
          options.log.info({ topic: chunk.topic, partition: chunk.partition, error: errorName(error), committed, groupOffset: offset?.toString(), nextOffset: chunk.nextOffset, ownLastCommit: committedByUs.get(idFor(chunk))?.toString() }, committed ? 'a failed commit had committed; its chunk is not processed again' : 'a failed commit did not commit; its chunk is processed again');
          if (committed) {
            await chunk.applyState?.().catch((applyError: unknown) => options.log.warn({ error: errorName(applyError), topic: chunk.topic, partition: chunk.partition }, 'applying a committed chunk to local state failed; the local store lacks its changes until its directory is removed and it is restored'));
          }
          return offset;
        });
        resumeOffsets.set(idFor(chunk), resumed);
        throw error;
      }
      // Only a committed transaction's state changes reach local storage.
      await chunk.applyState?.(changelogOffsets);
      options.events.emit('committed', { topology: options.topology, topic: chunk.topic, partition: chunk.partition, offset: chunk.nextOffset, transactional: true });
    },
    async assigned(partitions) {
      const keep = new Set(partitions.map(idFor));
      const released = Promise.all([...producers.keys()].filter((id) => !keep.has(id)).map(drop));
      // Set before any await: the first batch of a new partition may ask for it right away.
      // Initialising the ids right away fences a previous owner before our first transaction and
      // waits for its last one to complete; only then is its committed offset the stable one.
      const inits = partitions.map((ref) => producerFor(ref));
      resumeOffsets = new Map(partitions.map((ref, i) => [idFor(ref), stableOffset(ref, inits[i])]));
      const fenced = inits.map((init) => init.catch((error: unknown) => options.log.warn({ error: errorName(error) }, 'initialising a transactional producer failed')));
      await Promise.all([released, ...fenced]);
    },
    async resumeFrom(ref) {
      const id = idFor(ref);
      const stable = await resumeOffsets.get(id);
      // Read now, not at the join: a commit of this partition still in flight then (kafkajs
      // rejoins while other partitions' batches run) has finished by the time its next batch asks.
      const ours = committedByUs.get(id);
      return ours !== undefined && (stable === undefined || ours > stable) ? ours : stable;
    },
    close: async () => {
      await Promise.all([...producers.keys()].map(drop));
      await admin.disconnect();
    },
  };
}

/**
 * Where the chunk's changelog records begin in each changelog topic, from the send's answer (one
 * partition per changelog topic per chunk, the input's; the answer may cover other chunks' writes
 * to other partitions); undefined without changelog records.
 */
function firstOffsets(written: readonly RecordMetadata[], changelog: readonly OutgoingRecord[] | undefined): Map<string, string> | undefined {
  if (!changelog || changelog.length === 0) return undefined;
  const partitions = new Map(changelog.map((record) => [record.topic, record.partition]));
  const offsets = new Map<string, string>();
  for (const meta of written) if (partitions.get(meta.topicName) === meta.partition && meta.baseOffset !== undefined) offsets.set(meta.topicName, meta.baseOffset);
  return offsets;
}
