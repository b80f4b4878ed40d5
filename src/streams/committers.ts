import type { ConsumerGroupMetadata, Kafka, Producer, RecordMetadata, TopicMessages, Transaction } from 'kafkajs';
import type { Logger } from '../obs/logger.ts';
import { errorName } from './error-policy.ts';
import { keyOf, type PartitionRef, type StreamEvents } from './events.ts';
import { CoalescedSends } from './coalesced-sends.ts';
import { OffsetSchedule, type CommitOffsets, type PartitionOffset } from './offset-schedule.ts';
import { fatalIdempotenceError } from './producer-errors.ts';
import { reliableProducer, toTopicMessages } from './producers.ts';
import { fetchStableOffsets } from './stable-offsets.ts';
import { ReplaceableProducer } from './replaceable-producer.ts';
import { isKafkaUnavailable } from './kafka-unavailable.ts';
import type { OutgoingRecord } from './record.ts';
import { mergedRequestMaxBytes, recordBytes, runsOfBytes } from './record-bytes.ts';


/** A processed chunk of one partition: its outputs (dead letters included) and the next offset. */
export interface Chunk extends PartitionRef {
  outputs: readonly OutgoingRecord[];
  /** The offset to resume from: last processed + 1. */
  nextOffset: string;
  /**
   * exactly-once: the consumer's group membership when the chunk's records were fetched; the
   * transaction carrying its offset is refused if the member has left that generation since.
   */
  groupMetadata?: ConsumerGroupMetadata;
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
   * The first offset of a partition whose outputs are not yet durable, when the committer knows it
   * better than the consumer's offset fetch at its last join (undefined: trust the consumer's
   * position): exactly-once, a previous owner's stable commit; at-least-once, this instance's own
   * acknowledged chunks whose commit had not landed when the group rejoined.
   */
  resumeFrom(ref: PartitionRef): Promise<bigint | undefined>;
  close(): Promise<void>;
}

export interface CommitterOptions {
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
  /** exactly-once: this process among the group's (its group.instance.id, else unique per start), for its transactional ids. */
  instanceId: string;
  /**
   * exactly-once: transactional producers of the process. A transaction takes
   * what queued while the others commit, so up to this many are under way at once.
   */
  transactionalProducers: number;
  /** How long a chunk's outputs wait for other chunks' to share their produce request (at-least-once) or transaction (exactly-once), ms (0: none). */
  lingerMs: number;
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
  const producer = new ReplaceableProducer(() => reliableProducer(options.kafka), (reason) =>
    options.log.warn({ error: reason }, 'a send failed; the producer is replaced so that its sequence numbers start afresh under a new producer id'),
  );
  /**
   * Every failed send replaces the producer (ReplaceableProducer). After OUT_OF_ORDER_SEQUENCE_NUMBER
   * and its kin (a broker restart lost the producer's state) the error stopped the stage's consumer
   * for good, so the replacement sends the request again at once (at least once: what the broker
   * took of the failed one may be written twice); any other failure fails the chunk, which is
   * handled again.
   */
  const send = async (topicMessages: TopicMessages[]) => {
    try {
      return await producer.send({ topicMessages, acks: -1 });
    } catch (error) {
      if (fatalIdempotenceError(error) === undefined) throw error;
      return producer.send({ topicMessages, acks: -1 });
    }
  };
  const sends = new CoalescedSends(send, options.lingerMs);
  /**
   * A chunk's records in runs of at most mergedRequestMaxBytes, each acknowledged before the next
   * is queued, so a failed run leaves none after it written (a changelog's input-offset marker
   * comes last). One chunk can pass what a request carries: its changelog (the store's values of
   * up to a fetch's worth of records), or outputs larger than their input. In one request, a
   * partition's batch passed the topic's max.message.bytes and the broker refused the whole
   * request: enrich stopped with MESSAGE_TOO_LARGE on a 1 MiB chunk of events whose baselines took
   * 2 MiB.
   */
  const sendInRuns = async (records: readonly OutgoingRecord[], linger = true): Promise<RecordMetadata[]> => {
    const written: RecordMetadata[] = [];
    for (const run of runsOfBytes(records, recordBytes, mergedRequestMaxBytes)) written.push(...(await sends.send(toTopicMessages(run.items), run.bytes, { linger })));
    return written;
  };
  /**
   * Per owned partition, the offset up to which outputs are acknowledged. kafkajs rejoins at every
   * coordinator move (a broker restart) and resumes from the committed offsets, dropping its own
   * positions; when the commits of acknowledged chunks could not land first (the coordinator was
   * away), the stage read them again. The fault soak routed 1,531 events twice that way: verify
   * caught up a Redis outage's backlog just as the broker restarted. A batch starting below this
   * offset skips what this instance has already written.
   */
  const durable = new Map<string, bigint>();
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
      if (chunk.outputs.length > 0) await sendInRuns(chunk.outputs);
      // Sent without lingering: it follows the outputs' acknowledgement (CoalescedSends.send).
      const written = chunk.changelog && chunk.changelog.length > 0 ? await sendInRuns(chunk.changelog, false) : [];
      await chunk.applyState?.(firstOffsets(written, chunk.changelog));
      const key = keyOf(chunk);
      const next = BigInt(chunk.nextOffset);
      if (next > (durable.get(key) ?? -1n)) durable.set(key, next);
      await schedule.add({ topic: chunk.topic, partition: chunk.partition, offset: chunk.nextOffset }, chunk.commitConsumerOffsets, options.stopping());
    },
    flush: () => schedule.flush(),
    async assigned(partitions) {
      schedule.keepOnly(partitions);
      // A partition that was another member's meanwhile may have moved on; the committed offset
      // the consumer fetched is then ahead of this one and wins.
      const owned = new Set(partitions.map(keyOf));
      for (const key of durable.keys()) if (!owned.has(key)) durable.delete(key);
    },
    resumeFrom: async (ref) => durable.get(keyOf(ref)),
    async close() {
      schedule.stop();
      await producer.disconnect();
    },
  };
}

/** One transactional producer of the process, created and initialised on first use. */
interface Lane {
  readonly transactionalId: string;
  producer: Promise<Producer> | undefined;
}

interface Waiting {
  readonly chunk: Chunk;
  /** performance.now() when the chunk was queued. */
  readonly queuedAt: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Chunks fetched under one group generation (KIP-447 metadata) may share a transaction. */
const generationOf = (chunk: Chunk) => (chunk.groupMetadata ? `${chunk.groupMetadata.generationId}/${chunk.groupMetadata.memberId}` : '');

/**
 * Outputs, changelogs and input offsets in one transaction, the KIP-447 model: transactional
 * producers belong to the process, not to input partitions. A transaction carries every chunk
 * queued while its producer committed the last one, across partitions: at a trickle each chunk
 * commits at once, under load transactions grow rather than multiply. Each transaction costs the
 * broker markers on every partition it wrote and transaction-log writes, so there are few
 * producers (the runner's `transactionalProducers`, 2), taking turns: a producer that has just
 * committed cannot begin again until the coordinator has written its markers.
 *
 * Zombies are fenced by the consumer group itself: the offsets go with the generation and member
 * id of the fetch that read the chunk's records (patched client, TxnOffsetCommit v3), so a member
 * that lost the partition in a rebalance since has its transaction refused and aborted. A new
 * owner reads the group's committed offsets with `require_stable` (OffsetFetch v7): while another
 * member's transaction still holds a partition's offset, the broker answers UNSTABLE_OFFSET_COMMIT
 * and the fetch asks again, so it never resumes from the offset before a transaction that then
 * commits. The read names only the partitions it resumes (fetchStableOffsets): one of the whole
 * topic would wait as well for the transactions other members have open on their own partitions,
 * which under load is nearly always. A process that died mid-transaction holds that offset until
 * its transaction times out (10 s), or until it restarts under the same `group.instance.id`: the
 * transactional ids are derived from it, and initialising them aborts the dead incarnation's
 * transactions at once.
 *
 * The consumer fetches its offsets again at every join (a broker restart makes every member
 * rejoin), even while this instance's own transaction of a partition it keeps is committing; the
 * offset of its own last committed transaction is the floor there.
 */
export function exactlyOnceCommitter(options: CommitterOptions): Committer {
  const admin = options.kafka.admin();
  const lanes: Lane[] = Array.from({ length: Math.max(1, options.transactionalProducers) }, (_, i) => ({
    transactionalId: `${options.transactionalIdPrefix}-${options.groupId}-${options.instanceId}-${i}`,
    producer: undefined,
  }));
  /**
   * Free lanes, the longest free first: a producer that has just committed gets
   * CONCURRENT_TRANSACTIONS until the coordinator has written its markers, another one does not.
   */
  const idle: Lane[] = [...lanes];
  let queue: Waiting[] = [];
  let resumeOffsets = new Map<string, Promise<bigint | undefined>>();
  /**
   * The input offset of the last transaction this process committed per partition. A committed
   * offset only moves forward (a reset needs the group empty, so a new process), so it is a floor
   * even when a fetch during a broker restart answered stale or empty.
   */
  const committedByUs = new Map<string, bigint>();

  /** The lane's producer, its transactional id initialised: that aborts an open transaction of a previous incarnation. */
  const producerReady = (lane: Lane): Promise<Producer> => {
    if (!lane.producer) {
      const created = reliableProducer(options.kafka, lane.transactionalId);
      // kafkajs's connect() asks for a producer id without the transactional id; the
      // transactional one only comes with the first transaction. An empty one begun and dropped
      // at once (its abort sends nothing) initialises it now, before any offset is read.
      const ready = created.connect().then(async () => {
        const fence = await created.transaction();
        await fence.abort();
        return created;
      });
      lane.producer = ready;
      ready.catch(() => {
        if (lane.producer === ready) lane.producer = undefined;
      });
    }
    return lane.producer;
  };
  const dropProducer = async (lane: Lane) => {
    const dropped = lane.producer;
    lane.producer = undefined;
    await dropped?.then((p) => p.disconnect()).catch((error: unknown) => options.log.warn({ error: errorName(error) }, 'closing a transactional producer failed'));
  };

  /**
   * The group's stable committed offsets of `refs` (absent: none committed), read in one request
   * for those partitions alone once `settled` (our own transaction completed) resolved.
   */
  const stableOffsets = async (refs: readonly PartitionRef[], settled?: () => Promise<unknown>): Promise<Map<string, bigint>> => {
    // While Kafka does not answer (a broker restarting), keep trying: a guess would mean duplicates.
    for (let attempt = 1; ; attempt++) {
      try {
        await settled?.();
        return await fetchStableOffsets(admin, options.groupId, refs);
      } catch (error) {
        if (!isKafkaUnavailable(error) || attempt >= 60) {
          options.log.warn({ error: errorName(error), partitions: refs.length }, 'reading the committed offsets failed; resuming where the consumer fetched');
          return new Map();
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  /** Offsets of a round, the furthest per partition. */
  const offsetsOf = (chunks: readonly Chunk[]) => {
    const byTopic = new Map<string, Map<number, string>>();
    for (const chunk of chunks) {
      const partitions = byTopic.get(chunk.topic) ?? new Map<number, string>();
      const current = partitions.get(chunk.partition);
      if (current === undefined || BigInt(chunk.nextOffset) > BigInt(current)) partitions.set(chunk.partition, chunk.nextOffset);
      byTopic.set(chunk.topic, partitions);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: [...partitions].map(([partition, offset]) => ({ partition, offset })) }));
  };

  const failed = async (lane: Lane, round: readonly Waiting[], error: unknown) => {
    // A fenced or broken producer cannot be reused; a new one of the same id completes (aborts)
    // this transaction when it initialises, unless the commit reached the coordinator after all.
    await dropProducer(lane);
    // The chunks are retried, so each resumes from what the group really committed, read once the
    // new producer settled the transaction either way.
    const stable = stableOffsets(round.map((waiting) => waiting.chunk), () => producerReady(lane));
    for (const { chunk, reject } of round) {
      options.events.emit('transaction-aborted', { topology: options.topology, topic: chunk.topic, partition: chunk.partition, error: errorName(error) });
      // If it did commit, the retry skips the chunk, so its state changes are applied here.
      const resumed = stable.then(async (offsets) => {
        const offset = offsets.get(keyOf(chunk));
        const committed = offset !== undefined && offset >= BigInt(chunk.nextOffset);
        options.log.info({ topic: chunk.topic, partition: chunk.partition, error: errorName(error), committed, groupOffset: offset?.toString(), nextOffset: chunk.nextOffset, ownLastCommit: committedByUs.get(keyOf(chunk))?.toString() }, committed ? 'a failed commit had committed; its chunk is not processed again' : 'a failed commit did not commit; its chunk is processed again');
        if (committed) {
          await chunk.applyState?.().catch((applyError: unknown) => options.log.warn({ error: errorName(applyError), topic: chunk.topic, partition: chunk.partition }, 'applying a committed chunk to local state failed; the partition’s stores restore from the changelog before its next chunk'));
        }
        return offset;
      });
      resumeOffsets.set(keyOf(chunk), resumed);
      reject(error);
    }
  };

  const commitRound = async (lane: Lane, round: readonly Waiting[]): Promise<void> => {
    const chunks = round.map((waiting) => waiting.chunk);
    let transaction: Transaction | undefined;
    let written: RecordMetadata[] = [];
    try {
      transaction = await (await producerReady(lane)).transaction();
      const records = chunks.flatMap((chunk) => (chunk.changelog && chunk.changelog.length > 0 ? [...chunk.outputs, ...chunk.changelog] : chunk.outputs));
      // Several sends when the round's records pass a partition batch's limit merged.
      for (const run of runsOfBytes(records, recordBytes, mergedRequestMaxBytes)) {
        written.push(...(await transaction.sendBatch({ topicMessages: toTopicMessages(run.items), acks: -1 })));
      }
      const group = chunks[0]!.groupMetadata;
      await transaction.sendOffsets({ consumerGroupId: options.groupId, topics: offsetsOf(chunks), ...(group ? { consumerGroupMetadata: group } : {}) });
      await transaction.commit();
    } catch (error) {
      await transaction?.abort().catch((abortError: unknown) => options.log.warn({ error: errorName(abortError) }, 'aborting a transaction failed'));
      await failed(lane, round, error);
      return;
    }
    for (const { chunk, resolve, reject } of round) {
      committedByUs.set(keyOf(chunk), BigInt(chunk.nextOffset));
      try {
        // Only a committed transaction's state changes reach local storage.
        await chunk.applyState?.(firstOffsets(written, chunk.changelog));
        options.events.emit('committed', { topology: options.topology, topic: chunk.topic, partition: chunk.partition, offset: chunk.nextOffset, transactional: true });
        resolve();
      } catch (error) {
        reject(error);
      }
    }
  };

  let lingering: NodeJS.Timeout | undefined;
  /** Gives each idle lane everything queued of one generation, once the oldest has lingered. */
  const drain = (): void => {
    while (queue.length > 0 && idle.length > 0) {
      const wait = options.lingerMs - (performance.now() - queue[0]!.queuedAt);
      if (wait > 0) {
        lingering ??= setTimeout(() => {
          lingering = undefined;
          drain();
        }, wait);
        return;
      }
      const lane = idle.shift()!;
      const generation = generationOf(queue[0]!.chunk);
      const round: Waiting[] = [];
      const later: Waiting[] = [];
      for (const waiting of queue) (generationOf(waiting.chunk) === generation ? round : later).push(waiting);
      queue = later;
      void commitRound(lane, round).finally(() => {
        idle.push(lane);
        drain();
      });
    }
  };

  return {
    async connect() {
      await admin.connect();
      // Initialised now (aborting a previous incarnation's transactions) but not awaited: the
      // group join goes on meanwhile, and its stable offset fetch waits for those aborts anyway.
      // After a broker restart the transaction coordinator may load for seconds.
      for (const lane of lanes) {
        producerReady(lane).catch((error: unknown) => options.log.warn({ error: errorName(error) }, 'initialising a transactional producer failed; the next transaction tries again'));
      }
    },
    // Offsets go inside each transaction: nothing is held back.
    flush: async () => {},
    commit: (chunk) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ chunk, queuedAt: performance.now(), resolve, reject });
        drain();
      }),
    async assigned(partitions) {
      // Read at once, with require_stable: a previous owner's transaction still holding one of
      // these partitions' offsets is waited for. A read per partition: the client asks a request
      // again while any partition in it is held, so one read of all of them held every partition
      // kept through the rebalance until a dead member's transaction timed out. Set before any
      // await: the first batch may ask now.
      resumeOffsets = new Map(partitions.map((ref) => [keyOf(ref), stableOffsets([ref]).then((offsets) => offsets.get(keyOf(ref)))]));
    },
    async resumeFrom(ref) {
      const stable = await resumeOffsets.get(keyOf(ref));
      // Read now, not at the join: a commit of this partition still in flight then (kafkajs
      // rejoins while other partitions' batches run) has finished by the time its next batch asks.
      const ours = committedByUs.get(keyOf(ref));
      return ours !== undefined && (stable === undefined || ours > stable) ? ours : stable;
    },
    close: async () => {
      clearTimeout(lingering);
      await Promise.all(lanes.map(dropProducer));
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
  for (const meta of written) {
    if (partitions.get(meta.topicName) !== meta.partition || meta.baseOffset === undefined) continue;
    // The chunk's records may have taken several requests: its first offset is the lowest.
    const known = offsets.get(meta.topicName);
    if (known === undefined || BigInt(meta.baseOffset) < BigInt(known)) offsets.set(meta.topicName, meta.baseOffset);
  }
  return offsets;
}
