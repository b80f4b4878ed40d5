import { randomUUID } from 'node:crypto';
import { PartitionAssigners, type Admin, type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage } from 'kafkajs';
import { createLogger, type Logger } from '../obs/logger.ts';
import { raceTimeout } from './awaitable.ts';
import { processChunk, type ChunkContext } from './chunk.ts';
import { coPartitionedAssigner } from './co-partitioned-assigner.ts';
import { commitRetryDelayMs, onCommitFailure } from './commit-failure.ts';
import { connectOnce } from './connect-once.ts';
import { fetchMaxWaitMs } from './fetch-wait.ts';
import { heartbeatWhile } from './heartbeat-while.ts';
import { runnerDefaults } from './runner-defaults.ts';
import { atLeastOnceCommitter, exactlyOnceCommitter, type Committer } from './committers.ts';
import type { DeliveryMode } from './delivery.ts';
import { ErrorPolicy, errorName, type RetryOptions } from './error-policy.ts';
import { keyOf, StreamEvents, type PartitionRef } from './events.ts';
import type { PartitionOffset } from './offset-schedule.ts';
import { PartitionWork } from './partition-work.ts';
import type { OutgoingRecord, RawRecord } from './record.ts';
import { memoryBackend, type StateBackend } from './state/backend.ts';
import { kafkaChangelogReader } from './state/changelog-reader.ts';
import { ensureChangelogTopics } from './state/changelog-topics.ts';
import { encodeQueryEndpoint, StoreQueries, type QueryEndpointData, type StateQueryAnswer } from './state/query.ts';
import { StateStores } from './state/state-stores.ts';
import { StoreWrites } from './store-writes.ts';
import { warmSerdes } from './warm-serdes.ts';
import type { Topology } from './topology.ts';

export interface RunOptions {
  kafka: Kafka;
  delivery?: DeliveryMode; // at-least-once
  log?: Logger;
  /** Shared by every topology of a process so one metrics binder sees them all. */
  events?: StreamEvents;
  retry?: Partial<RetryOptions>;
  /**
   * Records of one partition processed between two commits (a store's maxBatch lowers it). A
   * fetch already bounds a partition's batch to 1 MiB; this only splits batches of small records.
   */
  maxBatchRecords?: number; // defaultChunkRecords
  /** Partitions processed at the same time (each one in order); at least every store's maxInFlight. */
  partitionsConsumedConcurrently?: number; // 3
  /**
   * exactly-once: transactional producers of the process. A transaction carries every chunk
   * queued while its producer was busy, so fewer producers mean fewer, larger transactions (each
   * costs the broker markers and transaction-log writes); more let chunks commit side by side.
   */
  transactionalProducers?: number; // runnerDefaults
  sessionTimeoutMs?: number; // 30_000
  heartbeatIntervalMs?: number; // 3_000
  rebalanceTimeoutMs?: number; // 60_000
  /**
   * KIP-345 static membership: a stable id per instance (unique within the group). A restarted
   * instance that joins with it gets its partitions back at once, without a rebalance of the
   * group; an instance that does not come back keeps them until the session times out. Two
   * live instances with one id fence each other. Unset: dynamic membership.
   */
  groupInstanceId?: string;
  /**
   * at-least-once: the least time between two commits of input offsets, ms (Kafka Streams'
   * commit.interval.ms); a crash replays at most about this much input. 0 commits every chunk.
   * Exactly-once commits offsets in each chunk's transaction.
   */
  commitIntervalMs?: number; // runnerDefaults
  /**
   * How long a chunk's outputs wait for other chunks' to share one produce request
   * (at-least-once) or one transaction (exactly-once), ms: Kafka's linger.ms. The chunks of one
   * fetch finish within a few ms of each other; each request, and more so each transaction
   * (markers on every partition it wrote, transaction-log writes), costs the broker.
   */
  lingerMs?: number; // runnerDefaults
  /**
   * A fetch waits until this many bytes are ready or `fetchMaxWaitMs` passed. At a trickle, one
   * record per fetch meant a fetch, a produce and their socket writes per record (most of a
   * stage's CPU at 1 000 events/s); waiting a few ms gathers a chunk. Under load fetches fill at once.
   */
  fetchMinBytes?: number; // 1
  fetchMaxWaitMs?: number; // 500, Kafka's fetch.max.wait.ms
  /**
   * The least time between the starts of two fetches, ms. With a small `fetchMinBytes` a fetch
   * answers at the first record, so spacing the fetches is what gathers a chunk at a trickle,
   * and the broker answers each at once instead of parking it until `fetchMaxWaitMs` (a parked
   * fetch costs the broker a second read of every partition when it expires). Under load a
   * chunk takes longer than this to run, so it never delays a fetch then.
   */
  fetchIntervalMs?: number; // 0
  /**
   * After a fetch that brought no records, the next asks for any record and waits up to this long,
   * ms. A short `fetchMaxWaitMs` with a large `fetchMinBytes` gathers a trickle into chunks, but
   * while a stage is idle it had the broker park and expire a fetch every `fetchMaxWaitMs` (most of
   * an idle pipeline's CPU, the broker's included); the first record after a pause is still read at once.
   */
  fetchIdleWaitMs?: number; // fetchMaxWaitMs (500)
  /** Transactional ids are `<prefix>-<group>-<instance>-<n>` (instance: `groupInstanceId`, else unique per start). */
  transactionalIdPrefix?: string; // bridge
  /** Where a new group starts; a pipeline stage wants everything already on its topics. */
  fromBeginning?: boolean; // true
  /**
   * Local storage of the topology's state stores: `lmdbBackend(dir)` keeps them across restarts,
   * killed or not (only the changelog's tail is restored); memory restores the whole changelog
   * on every start.
   */
  stateBackend?: StateBackend; // memoryBackend()
  /** Keys each state store partition keeps in memory with their committed values (a lookup past them reads local storage). */
  stateCacheKeys?: number; // 20_000
  /** Replication of changelog topics the runner creates; the broker's default when unset. */
  changelogReplicationFactor?: number;
  /**
   * Where this instance serves state queries, told to the group so another instance's query can
   * name it (Kafka Streams' application.server): a URL, or the port joined to the host the broker
   * sees this instance at.
   */
  queryEndpoint?: QueryEndpointData;
}

export interface RunningTopology {
  readonly topology: Topology;
  readonly events: StreamEvents;
  /** True once the consumer joined its group and until stop() begins. */
  isReady(): boolean;
  /** Partitions assigned to this instance now. */
  assigned(): PartitionRef[];
  /** The topology's state stores, when it declares some. */
  readonly stateStores?: StateStores;
  /**
   * Where a key of a state store lives: its value when this instance holds the key's partition
   * restored, else the group member that does (for interactive queries). Rejects with
   * DependencyUnavailableError when Kafka does not answer within a few seconds.
   */
  queryStore(store: string, key: unknown): Promise<StateQueryAnswer>;
  /** Graceful: stop fetching, finish the chunk in flight, commit it, leave the group. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A fetched batch of small records is one chunk: each chunk is a commit (exactly-once: a
 * transaction with its markers), and splitting a 1 MiB batch of 250-byte records in two cost
 * bench:streams about a tenth of its exactly-once throughput.
 */
const defaultChunkRecords = 10_000;

/** Consumes a topology's sources in consumer group `topology.groupId` until stop(). */
export async function runTopology(topology: Topology, options: RunOptions): Promise<RunningTopology> {
  const delivery = options.delivery ?? 'at-least-once';
  const events = options.events ?? new StreamEvents();
  const log = (options.log ?? createLogger({ level: 'silent' })).child({ topology: topology.name });
  const chunkSize = topology.chunkSize(options.maxBatchRecords ?? defaultChunkRecords);
  const retry = options.retry ? { retry: options.retry } : {};
  const state =
    topology.stateStores.length > 0
      ? new StateStores({
          topology: topology.name,
          groupId: topology.groupId,
          specs: topology.stateStores,
          backend: options.stateBackend ?? memoryBackend(),
          ...(options.stateCacheKeys === undefined ? {} : { cacheKeys: options.stateCacheKeys }),
          changelog: kafkaChangelogReader(options.kafka, topology.groupId),
          events,
          log,
        })
      : undefined;
  const chunks: ChunkContext = {
    ...(state ? { state } : {}),
    topology,
    policy: new ErrorPolicy(topology, { ...retry, log, events }),
    stores: new StoreWrites(topology, { ...retry, log, events }),
    events,
    now: Date.now,
  };

  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
  const consumer: Consumer = options.kafka.consumer({
    groupId: topology.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: heartbeatIntervalMs,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
    readUncommitted: false, // read_committed: aborted upstream transactions never reach a step
    minBytes: options.fetchMinBytes ?? 1,
    maxWaitTimeInMs: options.fetchMaxWaitMs ?? fetchMaxWaitMs,
    minFetchIntervalMs: options.fetchIntervalMs ?? 0,
    idleMaxWaitTimeInMs: options.fetchIdleWaitMs ?? fetchMaxWaitMs,
    allowAutoTopicCreation: false,
    ...(options.groupInstanceId ? { groupInstanceId: options.groupInstanceId } : {}),
    // Round-robin stays second: a member of an older build in the group speaks only that one.
    ...(topology.stateStores.length > 0 ? { partitionAssigners: [coPartitionedAssigner(encodeQueryEndpoint(options.queryEndpoint)), PartitionAssigners.roundRobin] } : {}),
  });
  let running = true;
  // A store takes maxInFlight chunks at once, each of a different partition.
  const partitionsConsumedConcurrently = Math.max(options.partitionsConsumedConcurrently ?? 3, ...topology.stores.map((store) => store.maxInFlight));
  const committerOptions = {
    kafka: options.kafka,
    commitIntervalMs: options.commitIntervalMs ?? runnerDefaults.commitIntervalMs,
    commitOffsets: (offsets: readonly PartitionOffset[]) => consumer.commitOffsets([...offsets]),
    stopping: () => !running,
    topology: topology.name,
    groupId: topology.groupId,
    transactionalIdPrefix: options.transactionalIdPrefix ?? 'bridge',
    instanceId: options.groupInstanceId ?? randomUUID(),
    transactionalProducers: options.transactionalProducers ?? runnerDefaults.transactionalProducers,
    lingerMs: options.lingerMs ?? runnerDefaults.lingerMs,
    events,
    log,
  };
  const committer: Committer = delivery === 'exactly-once' ? exactlyOnceCommitter(committerOptions) : atLeastOnceCommitter(committerOptions);

  let ready = false;
  let assigned: PartitionRef[] = [];
  /** Between a rebalance's start (or the consumer's restart) and the next join: the assignment may be another member's already. */
  let rejoining = false;
  const resumeTimers = new Set<NodeJS.Timeout>();
  /** Partition → commits failed in a row, for the pause before the next try. */
  const commitFailures = new Map<string, number>();
  const partitions = new PartitionWork({ byPartitionNumber: topology.stateStores.length > 0 });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    ready = true;
    rejoining = false;
    events.emit('rebalanced', { topology: topology.name, assigned });
    log.info({ partitions: assigned.length }, 'joined group');
    const fenced = committer.assigned(assigned).catch((error: unknown) => log.warn({ error: errorName(error) }, 'preparing the assigned partitions for transactions failed'));
    // After the committer took the assignment. The restore reads to the high watermark with
    // read_committed, so it waits past a previous owner's open transaction either way.
    if (state) {
      const numbers = [...new Set(assigned.map((ref) => ref.partition))];
      void fenced
        .then(() => state.assign(numbers))
        .catch((error: unknown) => {
          // A restore stopped by stop() says so itself.
          if (running) log.warn({ error: errorName(error) }, 'restoring state stores failed; retried when the partition is read');
        });
    }
  });
  // The group is about to rebalance: commit what is held back while this generation still owns it.
  consumer.on(consumer.events.REBALANCING, () => {
    rejoining = true;
    committer.flush().catch((error: unknown) => log.warn({ error: errorName(error) }, 'committing offsets before a rebalance failed; their records are processed again'));
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.warn({ error: errorName(payload.error), restart: payload.restart }, 'consumer crashed');
    rejoining = true;
    if (!payload.restart) {
      ready = false;
      events.emit('crashed', { topology: topology.name, error: errorName(payload.error) });
    }
  });

  /**
   * kafkajs throws from pause and resume while it restarts its consumer after a crash (a broker
   * restart): a batch that was still running then, or a resume timer, must not take the process
   * down. The restarted consumer fetches again from the committed offsets either way.
   */
  const onConsumer = (what: string, ref: PartitionRef | undefined, act: () => void) => {
    try {
      act();
    } catch (error) {
      log.warn({ error: errorName(error), topic: ref?.topic, partition: ref?.partition }, `${what} skipped: the consumer is restarting`);
    }
  };

  const pauseFor = (ref: PartitionRef, dependency: string, retryAfterMs: number) => {
    onConsumer('pausing a partition', ref, () => consumer.pause([{ topic: ref.topic, partitions: [ref.partition] }]));
    events.emit('paused', { topology: topology.name, ...ref, dependency, retryAfterMs });
    log.warn({ dependency, retryAfterMs, topic: ref.topic, partition: ref.partition }, 'dependency unavailable; partition paused');
    const timer = setTimeout(() => {
      resumeTimers.delete(timer);
      onConsumer('resuming a partition', ref, () => consumer.resume([{ topic: ref.topic, partitions: [ref.partition] }]));
      events.emit('resumed', { topology: topology.name, ...ref });
      log.info({ topic: ref.topic, partition: ref.partition }, 'partition resumed');
    }, retryAfterMs);
    resumeTimers.add(timer);
  };

  /**
   * The batch's records from where the committer says the partition resumes: those below it have
   * their outputs written already (exactly-once: committed by a previous owner; at-least-once:
   * acknowledged here before a rejoin fetched an older committed offset) and are skipped rather
   * than processed twice.
   */
  const unprocessed = async (ref: PartitionRef, batch: EachBatchPayload['batch'], resolveOffset: EachBatchPayload['resolveOffset']) => {
    const from = await committer.resumeFrom(ref);
    if (from === undefined || batch.messages.length === 0 || BigInt(batch.messages[0]!.offset) >= from) return batch.messages;
    const kept = batch.messages.filter((message) => BigInt(message.offset) >= from);
    const skipped = batch.messages.length - kept.length;
    log.info({ topic: ref.topic, partition: ref.partition, skipped }, 'skipped records whose outputs are already written');
    if (kept.length === 0) resolveOffset(batch.messages.at(-1)!.offset);
    return kept;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> => {
    const ref = { topic: batch.topic, partition: batch.partition };
    const sourceNames = topology.sourcesFor(batch.topic).map((source) => source.name);
    if (state) {
      // A restore that failed (its reader's group coordinator still loading after a broker
      // restart) is retried: the partition waits and reads these records again, the stage goes on.
      const failed = await restored(state, ref.partition, heartbeat);
      // Stopped while restoring: the records are read again at the next start.
      if (failed && !running) return;
      if (failed) {
        log.warn({ error: errorName(failed.error), topic: ref.topic, partition: ref.partition }, 'restoring the partition’s state stores failed; it restores again after a pause');
        pauseFor(ref, 'kafka', 1_000);
        return;
      }
    }
    const messages = await unprocessed(ref, batch, resolveOffset);
    for (let start = 0; start < messages.length; start += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(start, start + chunkSize).map((message) => toRawRecord(ref, message));
      const result = await processChunk(chunk, chunks);
      if (result.skippedAsApplied !== undefined) {
        log.info({ topic: ref.topic, partition: ref.partition, skipped: result.skippedAsApplied, from: chunk[0]!.offset }, 'skipped records the state stores already hold (their changelog covers them): no outputs written again');
      }

      if (result.finished > 0) {
        const lastOffset = chunk[result.finished - 1]!.offset;
        // The consumer's position: past the transaction markers (and aborted records) that end the
        // batch once all of it is processed, so a drained group's committed offset reaches the
        // partition's end and its lag reads 0 after exactly-once traffic upstream.
        const endOfBatch = start + result.finished === messages.length;
        const nextOffset = (BigInt(endOfBatch ? batch.lastOffset() : lastOffset) + 1n).toString();
        const markers = [{ topic: ref.topic, nextOffset }];
        const chunkState = result.state;
        try {
          await partitions.commit(ref, nextOffset, () =>
            committer.commit({
              ...ref,
              ...(batch.groupMetadata ? { groupMetadata: batch.groupMetadata } : {}),
              outputs: result.outputs,
              nextOffset,
              ...(chunkState && state ? { changelog: chunkState.changelog(markers, Date.now()), applyState: (changelogOffsets) => state.apply(chunkState, markers, changelogOffsets) } : {}),
              commitConsumerOffsets: (offsets) => commitOffsetsIfNecessary({ topics: byTopic(offsets) }),
            }),
          );
        } catch (error) {
          // Kafka away, or a transaction the coordinator ended while a broker was (which kafkajs
          // does not retry and which ended the process): the partition waits, longer each time in
          // a row, and runs the chunk again from what the group committed (exactly-once: read back
          // by the committer). A rebalance, and anything waiting cannot mend, goes to kafkajs.
          if (!running || onCommitFailure(error) === 'rethrow') throw error;
          const failures = (commitFailures.get(keyOf(ref)) ?? 0) + 1;
          commitFailures.set(keyOf(ref), failures);
          log.warn({ error: errorName(error), topic: ref.topic, partition: ref.partition, failures }, 'committing a chunk failed; the partition pauses and processes it again');
          pauseFor(ref, 'kafka', commitRetryDelayMs(failures));
          return;
        }
        commitFailures.delete(keyOf(ref));
        // Reported once durable, so a failed commit (and its replay) is not counted twice.
        events.emit('processed', {
          topology: topology.name,
          ...ref,
          recordsIn: Object.fromEntries(sourceNames.map((name) => [name, result.finished])),
          recordsOut: { ...countByNode(result.outputs), ...result.stored },
          latenciesMs: result.latenciesMs,
          lag: lagAfter(batch.highWatermark, nextOffset),
        });
        if (chunkState) state?.report(chunkState);
        // kafkajs resolves the control records after the batch's last message along with it.
        resolveOffset(lastOffset);
      }
      if (result.unavailable) {
        // The failed record stays unresolved, so the next fetch after resume starts with it.
        // Paused before the heartbeat: a rebalance it reports must not skip the wait.
        pauseFor(ref, result.unavailable.dependency, result.unavailable.retryAfterMs);
        await heartbeat();
        return;
      }
      await heartbeat();
    }
  };

  // A fetch that held only transaction markers or aborted records never reaches eachBatch;
  // kafkajs moves its position without committing it (autoCommit is off), so commit it here or a
  // drained group shows the markers as lag for ever.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize > 0) return;
    const ref = { topic: payload.topic, partition: payload.partition };
    const nextOffset = (BigInt(payload.lastOffset) + 1n).toString();
    const owned = () => running && assigned.some((a) => a.topic === ref.topic && a.partition === ref.partition);
    partitions
      .commitIfAhead(ref, nextOffset, owned, async () => {
        await committer.commit({ ...ref, ...(payload.groupMetadata ? { groupMetadata: payload.groupMetadata } : {}), outputs: [], nextOffset, commitConsumerOffsets: committerOptions.commitOffsets });
        events.emit('processed', { topology: topology.name, ...ref, recordsIn: {}, recordsOut: {}, latenciesMs: [], lag: lagAfter(payload.highWatermark, nextOffset) });
      })
      .catch((error: unknown) => log.warn({ error: errorName(error), topic: ref.topic, partition: ref.partition }, 'committing the position past transaction markers failed; the next chunk commits it'));
  });

  try {
    // While the group joins: by the time partitions are assigned, the schema ids are known.
    void warmSerdes(topology, log);
    if (state) {
      const admin = options.kafka.admin();
      await admin.connect();
      try {
        for (const { topic, settings } of await ensureChangelogTopics(admin, topology.stateStores, topology.sourceTopics, options.changelogReplicationFactor)) {
          log.info({ topic, settings }, 'gave an existing changelog topic the settings it lacked');
        }
      } finally {
        await admin.disconnect();
      }
    }
    await committer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: topology.sourceTopics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => heartbeatWhile(payload.heartbeat, heartbeatIntervalMs, () => partitions.run(payload.batch, () => eachBatch(payload))),
    });
  } catch (error) {
    // Leave nothing connected, so the caller may start the topology again (it waits on Kafka).
    running = false;
    await consumer.disconnect().catch(() => undefined);
    await committer.close().catch(() => undefined);
    await state?.close().catch(() => undefined);
    throw error;
  }
  events.emit('started', { topology: topology.name, groupId: topology.groupId, delivery });
  log.info({ delivery, groupId: topology.groupId }, 'topology started');

  let stopping: Promise<void> | undefined;
  let queryAdmin: Admin | undefined;
  let queryConnect: (() => Promise<void>) | undefined;
  const keyTopic = topology.sourceTopics.find((topic): topic is string => typeof topic === 'string');
  const queries = state
    ? new StoreQueries({
        // Its own client with few retries: a query answers within seconds, Kafka down or not.
        admin: async () => {
          const admin = (queryAdmin ??= options.kafka.admin({ retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 } }));
          await (queryConnect ??= connectOnce(() => admin.connect()))();
          return admin;
        },
        groupId: topology.groupId,
        state,
        // A topology read by pattern alone places keys by its changelog, which has the input's partitions.
        keyTopic: keyTopic ?? topology.stateStores[0]!.changelogTopic,
        owned: () => (ready && !rejoining ? new Set(assigned.map((a) => a.partition)) : undefined),
      })
    : undefined;
  return {
    topology,
    events,
    isReady: () => ready && stopping === undefined && !state?.isRestoring(),
    assigned: () => [...assigned],
    ...(state ? { stateStores: state } : {}),
    async queryStore(store, key) {
      if (!queries || !topology.stateStores.some((s) => s.name === store)) throw new Error(`topology "${topology.name}" has no state store "${store}"`);
      return queries.query(store, key);
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        // Before the consumer leaves: kafkajs waits for the batch in flight, and a batch of a
        // partition being restored waits for its restore, which could outlast any grace period.
        state?.stopRestoring();
        for (const timer of resumeTimers) clearTimeout(timer);
        resumeTimers.clear();
        // No new batches from here; while the consumer still commits, the held-back offsets go
        // (chunks finishing later commit at once).
        onConsumer('pausing at stop', undefined, () => consumer.pause([...new Set(assigned.map((ref) => ref.topic))].map((topic) => ({ topic }))));
        await committer.flush().catch((error: unknown) => log.warn({ error: errorName(error) }, 'committing offsets at stop failed; their records are processed again'));
        // kafkajs waits for the batch in flight (which commits its chunk) and leaves the group.
        await consumer.disconnect();
        await partitions.idle();
        await committer.close();
        // Every chunk is committed and applied: checkpoints let the next start restore only the tail.
        await state?.close();
        await queryAdmin?.disconnect();
        events.emit('stopped', { topology: topology.name });
        log.info('topology stopped');
      })();
      return stopping;
    },
  };
}

/** Stops everything on SIGTERM or SIGINT, once; returns a function that removes the handlers. */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): () => void {
  const handler = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    stop().catch((error: unknown) => {
      log.error({ error: errorName(error) }, 'shutdown failed');
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

/**
 * Waits for the partition's stores to be restored, heartbeating meanwhile; answers the restore's
 * error if it failed (a heartbeat's own error, a rebalance, is thrown for kafkajs to act on).
 */
async function restored(state: StateStores, partition: number, heartbeat: () => Promise<void>): Promise<{ error: unknown } | undefined> {
  const ready = state.ready(partition);
  let outcome: { failed?: { error: unknown } } | undefined;
  void ready.then(
    () => (outcome = {}),
    (error: unknown) => (outcome = { failed: { error } }),
  );
  while (!outcome) {
    await raceTimeout(ready.catch(() => undefined), 1_000, () => undefined);
    if (!outcome) await heartbeat();
  }
  return outcome.failed;
}

function toRawRecord(ref: PartitionRef, message: KafkaMessage): RawRecord {
  return { ...ref, offset: message.offset, timestamp: Number(message.timestamp), key: message.key ?? null, value: message.value, headers: message.headers ?? {} };
}

function byTopic(offsets: readonly PartitionOffset[]): Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> {
  const topics = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const { topic, partition, offset } of offsets) {
    const partitions = topics.get(topic);
    if (partitions) partitions.push({ partition, offset });
    else topics.set(topic, [{ partition, offset }]);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
}

function lagAfter(highWatermark: string, nextOffset: string): number {
  return Math.max(0, Number(BigInt(highWatermark) - BigInt(nextOffset)));
}

function countByNode(outputs: readonly OutgoingRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const out of outputs) if (out.node !== 'dead-letter') counts[out.node] = (counts[out.node] ?? 0) + 1;
  return counts;
}
