import { z } from 'zod';
import { nativeEndpoints } from './native-stack.ts';
import { hydrateEnvShape } from '../hydrate/env.ts';

export const stageNames = ['verify', 'normalize', 'enrich', 'route', 'sink'] as const;
export type StageName = (typeof stageNames)[number];

export const vendorIds = [
  'oura',
  'whoop',
  'healthkit',
  'terra',
  'google-health',
  'polar',
  'garmin',
  'withings',
] as const;
export type VendorId = (typeof vendorIds)[number];

export const deliveryModes = ['at-least-once', 'exactly-once'] as const;
export type DeliveryMode = (typeof deliveryModes)[number];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
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
const csv = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter((part) => part !== ''));
const brokers = csv.refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d+$/.test(b)), {
  message: 'must be comma-separated host:port pairs, e.g. 127.0.0.1:9092',
});

/**
 * Every environment variable the project reads, with its default. Variables not named here are
 * ignored on purpose: an unknown variable must never stop a process from starting.
 */
export const envSchema = z.object({
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
  INGRESS_MAX_IN_FLIGHT: positiveInt.default(100),
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
  OURA_WEBHOOK_SECRETS: csv.default([]),
  WHOOP_WEBHOOK_SECRETS: csv.default([]),
  HEALTHKIT_WEBHOOK_SECRETS: csv.default([]),
  TERRA_WEBHOOK_SECRETS: csv.default([]),
  GOOGLE_HEALTH_WEBHOOK_SECRETS: csv.default([]),
  POLAR_WEBHOOK_SECRETS: csv.default([]),
  GARMIN_WEBHOOK_SECRETS: csv.default([]),
  WITHINGS_WEBHOOK_SECRETS: csv.default([]),
  /** Oura's subscription handshake echoes this token in `GET ?verification_token=…&challenge=…`. */
  OURA_VERIFICATION_TOKEN: z.string().min(1).optional(),
  /** Garmin sends our consumer key in `garmin-client-id`; verify rejects any other value. */
  GARMIN_CLIENT_ID: z.string().min(1).optional(),
  /** Source networks (CIDR, comma-separated) Garmin / Withings post from; empty = not checked. */
  GARMIN_SOURCE_NETWORKS: csv.default([]),
  WITHINGS_SOURCE_NETWORKS: csv.default([]),
  /**
   * Signed-timestamp tolerance per vendor, in seconds. Defaults are the vendor's retry horizon
   * plus slack, because retries may not be re-signed (docs/vendors.md): Oura and WHOOP retry ~1 h,
   * Terra ~24 h; HealthKit is our own app, which signs at upload time.
   */
  OURA_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(7_200), // two hours
  WHOOP_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(7_200), // two hours
  TERRA_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(93_600), // 26 hours
  HEALTHKIT_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(3_600), // one hour
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

  ...hydrateEnvShape,
});

export type Env = z.infer<typeof envSchema>;
