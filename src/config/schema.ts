import { z } from 'zod';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csv, positiveInt } from '../vendors/kit/env.ts';
import { plugins } from '../vendors/index.ts';
import { nativeEndpoints } from './native-stack.ts';
import { hydrateEnvShape } from './hydrate-env.ts';
import { defaultMaxBodyBytes } from '../topic-limits.ts';

export const stageNames = ['verify', 'hydrate', 'normalize', 'enrich', 'route', 'sink'] as const;
export type StageName = (typeof stageNames)[number];

export { vendorIds, type VendorId } from '../vendors/index.ts';

import { deliveryModes, type DeliveryMode } from '../streams/delivery.ts';
import { fetchMaxWaitMs } from '../streams/fetch-wait.ts';
import { runnerDefaults } from '../streams/runner-defaults.ts';
import { defaultCacheKeys } from '../streams/state/open-store.ts';
import { defaultWriteBehind } from '../streams/state/write-behind.ts';
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
  /**
   * How long the group waits for a stage instance that stopped heartbeating (a SIGKILL, a lost
   * host) before its partitions move, in ms; the broker's floor is 6000. Shorter recovers a
   * killed instance's partitions sooner, but an instance whose chunk takes longer than this
   * between heartbeats (a slow vendor API in hydrate) is taken for dead.
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).default(30_000), // thirty seconds
  /**
   * Static membership (KIP-345): a name for this process that stays the same across its restarts
   * and is unique among the instances of a stage (a pod name, a systemd instance). A restarted
   * instance then takes its partitions back at once instead of after the session timeout, and the
   * other instances are not stopped by a rebalance. Each stage's group gets `<id>-<stage>`.
   * Unset: dynamic membership.
   */
  KAFKA_GROUP_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, ".", "_" or "-" only, at most 200')
    .optional(),
  /** How often a stage instance heartbeats while it waits for records, in ms. */
  KAFKA_HEARTBEAT_INTERVAL_MS: positiveInt.default(3_000), // three seconds
  SCHEMA_REGISTRY_URL: url(['http:', 'https:']).default(nativeEndpoints.schemaRegistryUrl),
  /**
   * Where a process keeps the writer schemas and ids it learned from the registry, for a restart
   * while the registry is away (src/schemas/schema-cache.ts); empty turns it off.
   */
  SCHEMA_CACHE_DIR: z.string().default(join(tmpdir(), 'biometric-bridge-schemas')),
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
  INGRESS_MAX_BODY_BYTES: positiveInt.default(defaultMaxBodyBytes), // 1 MiB
  /**
   * Requests waiting for the Kafka ack at once (bodies still arriving do not count); beyond it 503.
   * Enough for a second of a broker's stall at 1,000 webhooks/s: at 100, stalls of 100 ms and
   * more refused webhooks under a steady load. Memory is bounded by INGRESS_MAX_IN_FLIGHT_BYTES.
   */
  INGRESS_MAX_IN_FLIGHT: positiveInt.default(1_000),
  /** Body bytes of the requests waiting for the Kafka ack; beyond it 503 (one request is always let through). */
  INGRESS_MAX_IN_FLIGHT_BYTES: positiveInt.default(67_108_864), // 64 MiB
  /** Longest a request body may take to arrive once its headers are in, in ms; then 408. */
  INGRESS_BODY_TIMEOUT_MS: positiveInt.default(15_000), // fifteen seconds; vendors give up after 1–10 s
  /** Open requests from one source address (the forwarded one behind INGRESS_TRUST_PROXY); beyond it 429. */
  INGRESS_MAX_CONNECTIONS_PER_SOURCE: positiveInt.default(64),
  /**
   * How long an idle kept-alive connection stays open, ms. Above the idle timeout of the proxies
   * and clients in front (60 s is common): with Node's 5 s, a client reusing a connection just as
   * the ingress closed it gets a reset instead of an answer (a proxy answers 502).
   */
  INGRESS_KEEP_ALIVE_TIMEOUT_MS: positiveInt.default(65_000),
  /** Port of the /metrics, /health, /ready server of a stage process; 0 picks a free one. */
  METRICS_PORT: port.default(9464),
  /**
   * Interface /metrics, /health, /ready (and enrich's /state/) listen on. Loopback by default;
   * 0.0.0.0 where another host scrapes or queries it (a container).
   */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DELIVERY: z.enum(deliveryModes).default('at-least-once'),
  DELIVERY_VERIFY: z.enum(deliveryModes).optional(),
  DELIVERY_HYDRATE: z.enum(deliveryModes).optional(),
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
   * How long the ingress's Kafka breaker (open after 5 failed produce requests in a row) answers
   * 503 before one request probes Kafka again, ms; also the Retry-After it gives. It bounds how
   * long the ingress refuses after the broker answers again.
   */
  INGRESS_BREAKER_HALF_OPEN_MS: positiveInt.default(3_000),
  /**
   * Idempotent producers the ingress sends batches through in parallel: kafkajs keeps one request
   * in flight per idempotent producer, so one producer would serialise every ack round trip.
   */
  INGRESS_PRODUCERS: positiveInt.max(16).default(3),
  /**
   * How long a free ingress producer waits for more webhooks before a produce request, in ms
   * (linger.ms; Kafka's own producer waits 5 ms by default). Busy producers fill batches anyway.
   */
  INGRESS_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(5),
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
  /**
   * Exactly-once stages: transactional producers per process, taking turns. Each transaction
   * carries every chunk queued while the producers were busy. Twelve (one per partition in flight)
   * tripled p50 latency at a steady 1,000 events/s against one or two (`npm run bench:latency`);
   * one alone waits for its own markers between transactions (`npm run bench:streams` p50 52 ms
   * against 31 ms with two).
   */
  STAGE_TRANSACTIONAL_PRODUCERS: positiveInt.default(runnerDefaults.transactionalProducers),
  /**
   * at-least-once stages: the least time between two commits of input offsets, in ms (one
   * OffsetCommit for every partition instead of one per chunk). A crash or a rebalance replays up
   * to about this much input, which the stages' idempotence absorbs but NEUROS sees as duplicates
   * on the priority topics. 100 ms batches the commits of a busy stage (bench:streams: the
   * runtime's pass-through as fast as a plain client loop) while a crash replays little; 0 commits
   * every chunk. Exactly-once commits offsets inside each chunk's transaction.
   */
  STAGE_COMMIT_INTERVAL_MS: z.coerce.number().int().min(0).default(runnerDefaults.commitIntervalMs),
  /**
   * Stages: how long a chunk's outputs wait for the other chunks of its fetch to share one produce
   * request (at-least-once) or one transaction (exactly-once), in ms (Kafka's linger.ms). Every
   * request, and more so every transaction, costs the broker.
   */
  STAGE_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(runnerDefaults.lingerMs),
  /**
   * Stages: a fetch answers once this many bytes are ready or STAGE_FETCH_MAX_WAIT_MS passed, so
   * a trickle of records is read (and written on) in chunks rather than one request per record.
   * The wait is added to each hop's latency only while a stage is nearly idle.
   */
  STAGE_FETCH_MIN_BYTES: positiveInt.default(65_536),
  STAGE_FETCH_MAX_WAIT_MS: positiveInt.max(5_000).default(10),
  /**
   * Stages: after a fetch that brought nothing, the next answers at the first record or after this
   * long. An idle stage then asks a few times a second instead of every STAGE_FETCH_MAX_WAIT_MS
   * (each of those fetches was parked and expired by the broker); the first record after a pause is
   * read at once, and the ones after it in chunks again. A graceful stop of an idle stage waits for
   * the fetch in flight, so up to this long.
   */
  STAGE_FETCH_IDLE_WAIT_MS: positiveInt.max(5_000).default(fetchMaxWaitMs),
  /** Stages: the least time between the starts of two fetches, ms (0: fetch again as soon as a chunk is done). */
  STAGE_FETCH_INTERVAL_MS: z.coerce.number().int().min(0).max(1_000).default(0),
  /**
   * verify: records of one partition checked at once. Each waits on a Redis round trip (and a
   * Postgres lookup for Garmin); outputs keep the input order whatever finishes first.
   */
  VERIFY_RECORD_CONCURRENCY: positiveInt.default(16),
  /** sink: rows per write, one COPY and one INSERT in a transaction (one offset commit each). */
  SINK_BATCH_MAX: positiveInt.default(2_000),
  /**
   * verify, normalize: how often the in-memory replica of vendor_connections reads the rows that
   * changed, in ms; a new or revoked connection reaches the stages within about this.
   */
  CONNECTIONS_REFRESH_MS: positiveInt.max(60_000).default(1_000),
  /** sink: how long the Postgres breaker stays open after 5 consecutive failures, in ms. */
  PG_BREAKER_HALF_OPEN_MS: positiveInt.default(60_000), // one minute

  // ── Vendor connections (OAuth 2.0, src/connections) ─────────────────────────────────────────
  /** HMAC key the app backend signs connect links with; the bridge signs its OAuth `state` with it too. */
  CONNECT_LINK_SECRET: z.string().min(32, { message: 'must be at least 32 characters (e.g. openssl rand -hex 32)' }).optional(),
  /**
   * AES-256-GCM keys for tokens at rest, newest first (`new,old` while rotating): 32 bytes each as
   * 64 hex digits or base64. Errors name the key by position only, so a key is never echoed.
   */
  TOKEN_ENCRYPTION_KEYS: csv
    .transform((keys, ctx) =>
      keys.map((text, index) => {
        const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
        const canonical = (b64: string) => b64.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
        const readable = key.length === 32 && (/^[0-9a-f]{64}$/i.test(text) || canonical(key.toString('base64')) === canonical(text));
        if (!readable) {
          ctx.addIssue({ code: 'custom', path: [index], message: `key ${index + 1} must be 32 bytes as 64 hex digits or base64 (e.g. openssl rand -hex 32)` });
        }
        return key;
      }),
    )
    .default([]),
  /** Where browsers reach the ingress's base path, e.g. https://bridge.example.com/api/bridge (builds the OAuth redirect URL). */
  PUBLIC_BASE_URL: url(['http:', 'https:']).optional(),
  /** Longest validity an app backend may give a connect link, in seconds. */
  CONNECT_LINK_MAX_AGE_SECONDS: positiveInt.default(86_400), // one day
  /** Days of history a new connection queues for backfill (vendors that serve it); 0 turns it off. */
  BACKFILL_DAYS_ON_CONNECT: z.coerce.number().int().min(0).max(365).default(30),
  /** Each vendor app's OAuth client; GARMIN_CLIENT_ID (above) is Garmin's. */
  OURA_CLIENT_ID: z.string().min(1).optional(),
  OURA_CLIENT_SECRET: z.string().min(1).optional(),
  WHOOP_CLIENT_ID: z.string().min(1).optional(),
  WHOOP_CLIENT_SECRET: z.string().min(1).optional(),
  POLAR_CLIENT_ID: z.string().min(1).optional(),
  POLAR_CLIENT_SECRET: z.string().min(1).optional(),
  WITHINGS_CLIENT_ID: z.string().min(1).optional(),
  WITHINGS_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_HEALTH_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_HEALTH_CLIENT_SECRET: z.string().min(1).optional(),
  GARMIN_CLIENT_SECRET: z.string().min(1).optional(),
  /**
   * Replace the origin of a vendor's OAuth (authorize + token) hosts, keeping their paths: only the
   * vendor simulator in tests sets them. Unset = the vendor's real hosts. The API hosts are the
   * hydrate stage's <VENDOR>_API_BASE_URL (src/hydrate/env.ts).
   */
  OURA_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  WHOOP_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  POLAR_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  WITHINGS_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  GOOGLE_HEALTH_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  GARMIN_AUTH_BASE_URL: url(['http:', 'https:']).optional(),
  // ── end of vendor connections ───────────────────────────────────────────────────────────────
};

/**
 * Every environment variable the project reads, with its default. Variables not named here are
 * ignored on purpose: an unknown variable must never stop a process from starting.
 */
export const envSchema = z.object({
  ...pipelineShape,
  ...(mergeEnvFragments(pipelineShape, plugins) as VendorEnvShape),
  ...hydrateEnvShape,

  // ── bridge run push: real-time push of routed events to apps (src/push, docs/operations.md) ──
  /** Port of the SSE (/events) and WebSocket (/ws) server; /metrics stays on METRICS_PORT. */
  PUSH_PORT: port.default(8890),
  PUSH_HOST: z.string().min(1).default('127.0.0.1'),
  /** HS256 secrets for user tokens, newest first: `new,old` while rotating. Never logged. */
  PUSH_JWT_SECRETS: csv.optional(),
  /** A JWKS endpoint for user tokens instead of the secrets (keys rotated by the issuer). */
  PUSH_JWKS_URL: url(['http:', 'https:']).optional(),
  /** Expected `iss` and `aud` of user tokens, checked when set. */
  PUSH_JWT_ISSUER: z.string().min(1).optional(),
  PUSH_JWT_AUDIENCE: z.string().min(1).optional(),
  /** Bytes one client may leave unread before it is dropped as slow. */
  PUSH_MAX_BUFFERED_BYTES: positiveInt.default(1_048_576), // 1 MiB
  /** Live events held for one client while its resume replay runs; past this it is dropped. */
  PUSH_MAX_PENDING: positiveInt.default(1_000),
  /** Longest a resume replay may take, in ms. */
  PUSH_REPLAY_TIMEOUT_MS: positiveInt.default(30_000),
  /** Resume replays run at once; more wait their turn. */
  PUSH_MAX_CONCURRENT_REPLAYS: positiveInt.default(8),
  /** Keep-alive interval for idle connections (SSE comment, WebSocket ping), in ms. */
  PUSH_KEEPALIVE_MS: positiveInt.default(15_000),

  // --- State stores (enrich's per-user baselines) ---
  /**
   * Directory for stages' state stores (LMDB, one environment per store partition), so a restart
   * after a clean stop restores only the changelog's tail. Unset: stores live in memory and every
   * start restores them from their changelog topics.
   */
  STATE_DIR: z.string().min(1).optional(),
  /**
   * How often a stage's LMDB storage takes the state changes it holds in memory (or sooner, at
   * 20,000 keys held): each key's latest value once per interval, with the changelog checkpoint.
   * Longer: fewer local writes; a killed process restores more of the changelog's tail.
   */
  STATE_FLUSH_INTERVAL_MS: positiveInt.default(defaultWriteBehind.intervalMs),
  /**
   * Keys each state store partition keeps in memory with their committed values; a step's lookup
   * of another key reads local storage (`bridge_state_storage_reads_total`). Full, a partition lets
   * go of an eighth, oldest first, keeping the keys used since it last looked (a second chance).
   */
  STATE_CACHE_KEYS: positiveInt.default(defaultCacheKeys),
  /** Replication of the changelog topics a stage creates; the broker's default when unset. */
  STATE_CHANGELOG_REPLICATION_FACTOR: positiveInt.optional(),
  /**
   * enrich: serve `GET /state/baselines/<user id>` on METRICS_PORT without authentication. Off by
   * default: the answer is health data, so only turn it on where the port is private.
   */
  STATE_QUERY_UNAUTHENTICATED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * enrich: the URL at which this instance serves `/state/` (e.g. `http://enrich-2:9464`), which
   * another instance's answer names for a user held here (Kafka Streams' application.server).
   * Unset: `http://<the host the broker sees this instance at>:<METRICS_PORT>`.
   */
  STATE_QUERY_ENDPOINT: url(['http:', 'https:']).optional(),
});

export type Env = z.infer<typeof envSchema>;
