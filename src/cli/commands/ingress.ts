import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type Env, type VendorId } from '../../config/index.ts';
import { backfillMessages, backfillVendors } from '../../hydrate/backfill.ts';
import { reliableProducer } from '../../streams/index.ts';
import { ReplaceableProducer } from '../../streams/replaceable-producer.ts';
import { topics, type HydratedVendorId } from '../../topics.ts';
import { createIngress, createKafkaRawSink, ingressSettings, type Ingress } from '../../ingress/index.ts';
import { createIngressMetrics } from '../../ingress/metrics.ts';
import { checkRawTopicLimits } from '../../ingress/raw-topic-limits.ts';
import { vendors } from '../../vendors/index.ts';
import { breakerStateGauge } from '../../obs/breaker-state.ts';
import { kafkaLogs } from '../../obs/kafka-log.ts';
import { createLogger, type Logger } from '../../obs/logger.ts';
import { waitFor } from '../../app/wait-for.ts';
import { connectionsMigrations } from '../../connections/migrations.ts';
import { connectRoutesFromConfig } from '../../connections/index.ts';
import { createPostgresPool, isPostgresUnavailable, migrate } from '../../sink/index.ts';

function packageVersion(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** Reads the raw topics' record limit, waiting for Kafka; refuses (RawTopicLimitError, exit 78) one too small for the body limit. */
async function rawRecordLimit(kafka: Kafka, config: Readonly<Env>, log: Logger): Promise<number> {
  const admin = kafka.admin();
  try {
    return await checkRawTopicLimits(admin, Object.values(vendors).map((vendor) => vendor.rawTopic), config.INGRESS_MAX_BODY_BYTES, log);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts the webhook ingress from configuration; `bridge run ingress` calls this too. Waits for
 * Kafka, and refuses to start when the raw topics cannot hold a body of INGRESS_MAX_BODY_BYTES.
 */
export async function startIngress(config: Readonly<Env>, log: Logger): Promise<Ingress> {
  const kafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-ingress`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });
  const maxRecordBytes = await rawRecordLimit(kafka, config, log);
  const metrics = createIngressMetrics();
  const reportBreaker = breakerStateGauge(metrics.registry);
  reportBreaker('kafka', 'closed');
  const sink = createKafkaRawSink({
    kafka,
    timeoutMs: config.INGRESS_KAFKA_TIMEOUT_MS,
    halfOpenAfterMs: config.INGRESS_BREAKER_HALF_OPEN_MS,
    producers: config.INGRESS_PRODUCERS,
    lingerMs: config.INGRESS_LINGER_MS,
    maxRecordBytes,
    onBatch: (size) => metrics.batchSize.observe(size),
    onBreakerStateChange: (state) => {
      log.warn({ dependency: 'kafka', state }, 'ingress kafka circuit breaker changed state');
      reportBreaker('kafka', state);
    },
    onProducerReplaced: (reason) => {
      log.warn({ dependency: 'kafka', reason }, 'ingress producer replaced after a failed send');
      metrics.producerReplacements.inc({ reason });
    },
  });
  const backfills = config.BACKFILL_DAYS_ON_CONNECT > 0 ? backfillQueue(kafka, config.BACKFILL_DAYS_ON_CONNECT, log) : undefined;
  const connect = connectRoutesFromConfig(config, log, metrics.registry, backfills?.queue);
  if (connect) await applyConnectionsMigrations(config, log);
  const ingress = createIngress({ ...ingressSettings(config), sink, metrics, logger: log, version: packageVersion(), ...(connect ? { connectRoutes: connect.routes } : {}) });
  await ingress.listen();
  if (!connect) return ingress;
  return {
    ...ingress,
    async close() {
      await ingress.close();
      await connect.close();
      await backfills?.close();
    },
  };
}

/**
 * A new connection's history, queued on hydrate.backfill for the vendors that serve it; the
 * producer connects on the first connection, so an ingress without connections never opens it.
 * A failed send replaces it (ReplaceableProducer), as the raw sink's: reusing it could have the
 * broker acknowledge the next queue without writing it.
 */
function backfillQueue(kafka: Kafka, days: number, log: Logger): { queue: (vendor: VendorId, vendorUserId: string) => Promise<void>; close: () => Promise<void> } {
  let producer: ReplaceableProducer | undefined;
  return {
    async queue(vendor, vendorUserId) {
      if (!(backfillVendors as readonly string[]).includes(vendor)) return;
      producer ??= new ReplaceableProducer(() => reliableProducer(kafka), (reason) => log.warn({ dependency: 'kafka', reason }, 'backfill producer replaced after a failed send'));
      await producer.send({ topicMessages: [{ topic: topics.backfill, messages: backfillMessages(vendor as HydratedVendorId, vendorUserId, days) }], acks: -1 });
    },
    close: async () => {
      await producer?.disconnect();
    },
  };
}

/** The connect routes write `vendor_connections`: its migrations first, waiting for Postgres. */
async function applyConnectionsMigrations(config: Readonly<Env>, log: Logger): Promise<void> {
  const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: 1, logger: log });
  try {
    await waitFor(() => migrate({ pool, ...connectionsMigrations }), { log, dependency: 'postgres', what: 'to apply the connections migrations', isUnavailable: isPostgresUnavailable });
  } finally {
    await pool.end();
  }
}

/** Runs until SIGINT/SIGTERM, then drains in-flight requests and disconnects the producer. */
export async function runIngress(config: Readonly<Env>): Promise<void> {
  const log = createLogger({ level: config.LOG_LEVEL });
  const ingress = await startIngress(config, log);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ingress.close().then(resolve, (error: unknown) => {
        log.error({ err: error }, 'ingress shutdown failed');
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerIngress(program: Command): void {
  program
    .command('ingress')
    .description('run the webhook ingress (POST <base>/webhooks/<vendor> → raw.<vendor>); same as `bridge run ingress`')
    .action(async () => runIngress(loadConfig()));
}
