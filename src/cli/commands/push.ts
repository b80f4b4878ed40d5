import { readFileSync } from 'node:fs';
import { createRegistryClient, registrySchemaStore } from '../../schemas/index.ts';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ConfigError, type Env } from '../../config/index.ts';
import { startObsServer } from '../../obs/http-server.ts';
import { warnOfGroupJoinDelay } from '../../app/group-join-delay.ts';
import { kafkaLogs } from '../../obs/kafka-log.ts';
import { createLogger, type Logger } from '../../obs/logger.ts';
import { createMetricsRegistry } from '../../obs/metrics.ts';
import { startPush, type PushOptions } from '../../push/index.ts';
import { isKafkaUnavailable, stopOnSignals } from '../../streams/index.ts';
import { waitFor } from '../../app/index.ts';

/** The push server's settings from configuration (tests and the bench pass their own). */
export function pushSettings(config: Readonly<Env>): Pick<PushOptions, 'auth' | 'port' | 'host' | 'groupPrefix' | 'maxBufferedBytes' | 'maxPending' | 'replayTimeoutMs' | 'maxConcurrentReplays' | 'keepAliveMs'> {
  return {
    auth: { secrets: config.PUSH_JWT_SECRETS, jwksUrl: config.PUSH_JWKS_URL, issuer: config.PUSH_JWT_ISSUER, audience: config.PUSH_JWT_AUDIENCE },
    port: config.PUSH_PORT,
    host: config.PUSH_HOST,
    groupPrefix: `${config.KAFKA_CLIENT_ID}-push`,
    maxBufferedBytes: config.PUSH_MAX_BUFFERED_BYTES,
    maxPending: config.PUSH_MAX_PENDING,
    replayTimeoutMs: config.PUSH_REPLAY_TIMEOUT_MS,
    maxConcurrentReplays: config.PUSH_MAX_CONCURRENT_REPLAYS,
    keepAliveMs: config.PUSH_KEEPALIVE_MS,
  };
}

/** Push clients reconnect to whichever process is up, so this one waits for Kafka as long as it takes, and is ready within about two seconds of it answering. */
async function waitForKafka(kafka: Kafka, log: Logger): Promise<Admin> {
  const admin = kafka.admin();
  await waitFor(
    async () => {
      await admin.connect();
      await admin.describeCluster();
    },
    { log, dependency: 'kafka', what: 'to answer', isUnavailable: isKafkaUnavailable },
  );
  return admin;
}

/**
 * `bridge run push`: SSE and WebSocket on PUSH_PORT, /metrics, /health, /ready on METRICS_PORT,
 * until SIGTERM/SIGINT.
 */
export async function runPush(config: Readonly<Env>): Promise<void> {
  if ((config.PUSH_JWT_SECRETS ?? []).length === 0 && config.PUSH_JWKS_URL === undefined) {
    throw new ConfigError(['PUSH_JWT_SECRETS or PUSH_JWKS_URL: push needs one to verify user tokens (secrets newest first, e.g. new,old)']);
  }
  const log = createLogger({ level: config.LOG_LEVEL, name: 'bridge-push' });
  const metrics = createMetricsRegistry();
  const kafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-push`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });
  const admin = await waitForKafka(kafka, log);
  await warnOfGroupJoinDelay(admin, log, 'replay of a reconnecting client');
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const registry = createRegistryClient(config.SCHEMA_REGISTRY_URL);
  let crashed = false;
  let stopNow = (): void => undefined;
  const onCrashed = (error: string): void => {
    // As a stage does: not ready, then stop, so the orchestrator starts a process that works.
    log.error({ error }, 'push live feed crashed and is not restarted; stopping');
    crashed = true;
    stopNow();
  };
  // Kafka can go (or the priority topics be missing) after the admin answered: wait, not exit.
  const push = await waitFor(() => startPush({ ...pushSettings(config), kafka, admin, schemaStore: registrySchemaStore(registry), metrics, log, onCrashed }), { log, dependency: 'kafka', what: 'to serve the priority topics', isUnavailable: isKafkaUnavailable });
  const obs = await startObsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry: metrics,
    version,
    log,
    connections: () => ({
      kafka: async () => (await admin.describeCluster()).brokers.length > 0,
      registry: () => registry.ping(),
    }),
    ready: () => push.isReady(),
  });
  await new Promise<void>((resolve) => {
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        removeSignalHandlers();
        await push.stop();
        await obs.close();
        await admin.disconnect();
        resolve();
      })());
    const removeSignalHandlers = stopOnSignals(stop, log);
    stopNow = () => void stop();
    if (crashed) stopNow();
  });
  if (crashed) process.exitCode = 1;
}
