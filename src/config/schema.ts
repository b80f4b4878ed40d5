import { z } from 'zod';
import { csv, positiveInt } from '../vendors/kit/env.ts';
import { plugins } from '../vendors/index.ts';
import { nativeEndpoints } from './native-stack.ts';

export const stageNames = ['verify', 'normalize', 'enrich', 'route', 'sink'] as const;
export type StageName = (typeof stageNames)[number];

export { vendorIds, type VendorId } from '../vendors/index.ts';

import { deliveryModes, type DeliveryMode } from '../streams/delivery.ts';
export { deliveryModes, type DeliveryMode };

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(0).max(65_535);
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
const brokers = csv.refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d+$/.test(b)), {
  message: 'must be comma-separated host:port pairs, e.g. 127.0.0.1:9092',
});

type UnionToIntersection<U> = (U extends unknown ? (part: U) => void : never) extends (part: infer I) => void ? I : never;
type VendorEnvShape = UnionToIntersection<(typeof plugins)[number]['env']>;

/**
 * Vendor fragments merged into one shape. A name declared twice (by two plugins, or by a plugin
 * and the pipeline) would let one silently replace the other, so it stops the process at load.
 */
export function mergeEnvFragments(pipeline: z.ZodRawShape, fragments: ReadonlyArray<{ readonly id: string; readonly env: z.ZodRawShape }>): z.ZodRawShape {
  const shape: Record<string, z.ZodRawShape[string]> = {};
  for (const { id, env } of fragments) {
    for (const [name, type] of Object.entries(env)) {
      if (Object.hasOwn(shape, name) || Object.hasOwn(pipeline, name)) throw new Error(`${name} (vendor ${id}) is declared twice`);
      shape[name] = type;
    }
  }
  return shape;
}

/** The pipeline's own variables; each vendor's come from its plugin (src/vendors/<vendor>/index.ts). */
const pipelineShape = {
  KAFKA_BROKERS: brokers.default([nativeEndpoints.kafkaBrokers]),
  KAFKA_CLIENT_ID: z.string().min(1).default('biometric-bridge'),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:']).default(nativeEndpoints.schemaRegistryUrl),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default(nativeEndpoints.databaseUrl),
  REDIS_URL: url(['redis:', 'rediss:']).default(nativeEndpoints.redisUrl),
  PG_POOL_MAX: positiveInt.default(20),
  INGRESS_PORT: port.default(8889),
  INGRESS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Prefix for every ingress path, e.g. /api/bridge behind the existing proxy. */
  INGRESS_BASE_PATH: z
    .string()
    .default('')
    .refine((p) => p === '' || (p.startsWith('/') && !p.endsWith('/')), {
      message: 'must be empty or start with / and not end with /, e.g. /api/bridge',
    }),
  INGRESS_MAX_BODY_BYTES: positiveInt.default(1_048_576), // 1 MiB
  /** Requests waiting for the Kafka ack at once (bodies still arriving do not count); beyond it 503. */
  INGRESS_MAX_IN_FLIGHT: positiveInt.default(100),
  /** Longest a request body may take to arrive once its headers are in, in ms; then 408. */
  INGRESS_BODY_TIMEOUT_MS: positiveInt.default(15_000), // fifteen seconds; vendors give up after 1–10 s
  /** Open requests from one source address (the forwarded one behind INGRESS_TRUST_PROXY); beyond it 429. */
  INGRESS_MAX_CONNECTIONS_PER_SOURCE: positiveInt.default(64),
  /** Port of the /metrics, /health, /ready server of a stage process; 0 picks a free one. */
  METRICS_PORT: port.default(9464),
  DELIVERY: z.enum(deliveryModes).default('at-least-once'),
  DELIVERY_VERIFY: z.enum(deliveryModes).optional(),
  DELIVERY_NORMALIZE: z.enum(deliveryModes).optional(),
  DELIVERY_ENRICH: z.enum(deliveryModes).optional(),
  DELIVERY_ROUTE: z.enum(deliveryModes).optional(),
  DELIVERY_SINK: z.enum(deliveryModes).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  /** `bridge topics create`: partitions of every pipeline topic. */
  TOPIC_PARTITIONS: positiveInt.default(6),
  TOPIC_REPLICATION_FACTOR: positiveInt.default(1),
  /** Retention of every pipeline topic in ms; -1 keeps records forever. */
  TOPIC_RETENTION_MS: z.coerce.number().int().min(-1).default(604_800_000), // seven days
  /** Dead letters wait for an operator, so they are kept longer. */
  DLQ_RETENTION_MS: z.coerce.number().int().min(-1).default(2_592_000_000), // thirty days
  TOPIC_COMPRESSION: z.enum(['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']).default('producer'),
  /** Use the last X-Forwarded-For hop as the source address (only behind our own proxy). */
  INGRESS_TRUST_PROXY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Longest an ingress request waits for the Kafka ack before answering 503, in ms. */
  INGRESS_KAFKA_TIMEOUT_MS: positiveInt.default(5_000),
  /**
   * Idempotent producers the ingress sends batches through in parallel: kafkajs keeps one request
   * in flight per idempotent producer, so one producer would serialise every ack round trip.
   */
  INGRESS_PRODUCERS: positiveInt.max(16).default(3),
  /** How long shutdown waits for in-flight requests before closing anyway, in ms. */
  INGRESS_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** enrich: a JSON rule file replacing topologies/rules/cognitive-triggers.json. */
  TRIGGER_RULES_FILE: z.string().min(1).optional(),
  /** route: also write the legacy JSON topic `biometric-events` that NEUROS reads today. */
  ROUTE_LEGACY_MIRROR: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * Partitions a stream stage (verify, normalize, enrich, route) processes at once, each strictly
   * in order. Stages that wait on a round trip per record (verify's Redis replay guard) scale with it.
   */
  STAGE_PARTITION_CONCURRENCY: positiveInt.default(12),
  /** sink: rows per multi-row INSERT (one offset commit each). */
  SINK_BATCH_MAX: positiveInt.default(2_000),
  /** sink: how long the Postgres breaker stays open after 5 consecutive failures, in ms. */
  PG_BREAKER_HALF_OPEN_MS: positiveInt.default(60_000), // one minute
};

/**
 * Every environment variable the project reads, with its default. Variables not named here are
 * ignored on purpose: an unknown variable must never stop a process from starting.
 */
export const envSchema = z.object({
  ...pipelineShape,
  ...(mergeEnvFragments(pipelineShape, plugins) as VendorEnvShape),
  // --- State stores (enrich's per-user baselines) ---
  /**
   * Directory for stages' state stores (LMDB, one environment per store partition), so a restart
   * after a clean stop restores only the changelog's tail. Unset: stores live in memory and every
   * start restores them from their changelog topics.
   */
  STATE_DIR: z.string().min(1).optional(),
  /** Replication of the changelog topics a stage creates; the broker's default when unset. */
  STATE_CHANGELOG_REPLICATION_FACTOR: positiveInt.optional(),
  /**
   * enrich: serve `GET /state/baselines/<user id>` on METRICS_PORT without authentication. Off by
   * default: the answer is health data, so only turn it on where the port is private.
   */
  STATE_QUERY_UNAUTHENTICATED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export type Env = z.infer<typeof envSchema>;
