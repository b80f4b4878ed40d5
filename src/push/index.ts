/**
 * Real-time push of routed events to apps: `bridge run push`. See docs/design.md (push) and
 * docs/operations.md for the contract clients rely on.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Logger } from '../obs/logger.ts';
import { createTokenVerifier, type TokenVerifierOptions } from './auth.ts';
import { createHub } from './hub.ts';
import { kafkaPriorityLog } from './kafka-priority-log.ts';
import { startLiveFeed } from './live-feed.ts';
import { createPushMetrics } from './metrics.ts';
import { priorityRecordDecoder } from './priority-records.ts';
import { withReplaySlots } from './replay-slots.ts';
import type { AvroSchemaStore } from '../streams/index.ts';
import { startPushServer } from './server.ts';

export { encodeCursor, decodeCursor, type Cursor } from './cursor.ts';
export { pushPaths } from './server.ts';
export { closeCodes } from './websocket.ts';
export type { DropReason, Transport } from './hub.ts';

export interface PushOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** The one schema store (src/schemas), reading the routed records' writer schemas. */
  readonly schemaStore: AvroSchemaStore;
  readonly metrics: Registry;
  readonly log: Logger;
  readonly auth: TokenVerifierOptions;
  readonly port: number; // 0 picks a free one
  readonly host: string;
  /** Group prefix; the live group adds host and a random suffix, replays a random suffix. */
  readonly groupPrefix: string;
  readonly maxBufferedBytes: number;
  readonly maxPending: number;
  /** Longest a resume may take, its wait for a replay slot included, in ms. */
  readonly replayTimeoutMs: number;
  readonly maxConcurrentReplays: number;
  readonly keepAliveMs: number;
  /** The live feed crashed and kafkajs does not restart it: the process serves nothing new. */
  onCrashed?(error: string): void;
}

export interface RunningPush {
  readonly port: number;
  /** True once the live feed reads its partitions. */
  isReady(): boolean;
  stop(): Promise<void>;
}

const replayQueueLimit = 10_000; // reconnects waiting for a replay slot before being refused

/** Starts the live feed and the client server; resolves once both run. */
export async function startPush(options: PushOptions): Promise<RunningPush> {
  const verify = createTokenVerifier(options.auth);
  const metrics = createPushMetrics(options.metrics);
  const decode = priorityRecordDecoder(options.schemaStore);
  const kafkaLog = kafkaPriorityLog({ kafka: options.kafka, admin: options.admin, decode, groupPrefix: `${options.groupPrefix}-replay` });
  const log = withReplaySlots(kafkaLog, { concurrent: options.maxConcurrentReplays, queueLimit: replayQueueLimit, timeoutMs: options.replayTimeoutMs });
  const hub = createHub({
    log,
    maxPending: options.maxPending,
    onDelivered: (record, subscriber, live) => metrics.pushed(subscriber.transport, live ? record.routedAt : undefined),
    onDropped: (reason) => {
      metrics.dropped(reason);
      options.log.info({ reason }, 'push client dropped');
    },
  });
  const feed = await startLiveFeed({ kafka: options.kafka, decode, groupPrefix: options.groupPrefix, publish: (record) => hub.publish(record), onSkipped: (reason) => metrics.skipped(reason), onCrashed: options.onCrashed });
  const server = await startPushServer({ port: options.port, host: options.host, hub, verify, partitions: (userId) => kafkaLog.partitions(userId), metrics, log: options.log, maxBufferedBytes: options.maxBufferedBytes, keepAliveMs: options.keepAliveMs }).catch(async (error: unknown) => {
    await feed.stop();
    throw error;
  });
  return {
    port: server.port,
    isReady: () => feed.isJoined(),
    async stop() {
      await server.close();
      await feed.stop();
    },
  };
}
