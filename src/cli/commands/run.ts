import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaLogs } from '../../obs/kafka-log.ts';
import { deliveryFor, loadConfig, stageNames, type Env, type StageName } from '../../config/index.ts';
import { startObsServer } from '../../obs/http-server.ts';
import { createLogger, type Logger } from '../../obs/logger.ts';
import { bindStreamMetrics, createMetricsRegistry } from '../../obs/metrics.ts';
import { runTopology, StreamEvents, stopOnSignals } from '../../streams/index.ts';
import { runBatchSink } from '../../streams/batch-sink.ts';
import { batchSinks as registeredBatchSinks, topologies as registeredTopologies, type BatchSinkFactory, type TopologyFactory } from '../../../topologies/index.ts';
import { startIngress } from './ingress.ts';
import { createStageResources } from './stage-resources.ts';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Start-up waits for Kafka with a bounded, logged retry rather than a fixed sleep. */
async function connectAdmin(kafka: Kafka, log: Logger): Promise<Admin> {
  const admin = kafka.admin();
  const policy = retry(handleAll, { maxAttempts: 8, backoff: new ExponentialBackoff({ initialDelay: 500, maxDelay: 10_000 }) });
  policy.onRetry(({ attempt }) => log.warn({ attempt }, 'Kafka not reachable yet; retrying'));
  await policy.execute(async () => {
    await admin.connect();
    await admin.describeCluster();
  });
  return admin;
}

export interface RunStagesOptions {
  /** The stage registries; tests pass their own. */
  topologies?: Partial<Record<string, TopologyFactory>>;
  batchSinks?: Partial<Record<string, BatchSinkFactory>>;
}

/** What run needs of a running stage, whichever runtime runs it. */
interface RunningStage {
  isReady(): boolean;
  stop(): Promise<void>;
}

/**
 * Runs one registered stage (`all`: every one, plus the ingress) until SIGTERM/SIGINT, with
 * /metrics, /health and /ready on METRICS_PORT. Resolves after a graceful stop.
 */
export async function runStages(config: Readonly<Env>, stage: string, options: RunStagesOptions = {}): Promise<void> {
  const registry: Partial<Record<string, TopologyFactory>> = options.topologies ?? registeredTopologies;
  const sinks: Partial<Record<string, BatchSinkFactory>> = options.batchSinks ?? registeredBatchSinks;
  const known = [...Object.keys(registry), ...Object.keys(sinks)];
  const names = stage === 'all' ? known : [stage];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`unknown stage "${stage}"; registered: ${known.length > 0 ? known.join(', ') : 'none yet'} (stages: ${stageNames.join(', ')})`);
  }

  const log = createLogger({ level: config.LOG_LEVEL, name: `bridge-${stage}` });
  const metrics = createMetricsRegistry();
  const events = new StreamEvents();
  bindStreamMetrics(metrics, events);
  const resources = createStageResources(config, log, metrics);
  const kafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-${stage}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });
  const admin = await connectAdmin(kafka, log);

  const running: RunningStage[] = [];
  let crashed = false;
  events.on('crashed', () => {
    crashed = true;
    void shutdown();
  });
  const server = await startObsServer({
    port: config.METRICS_PORT,
    registry: metrics,
    version: packageVersion(),
    log,
    connections: () => ({
      kafka: async () => (await admin.describeCluster()).brokers.length > 0,
      ...resources.probes(),
    }),
    ready: () => running.length === names.length && running.every((r) => r.isReady()),
  });
  const ingress = stage === 'all' ? await startIngress(config, log) : undefined;

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(running.map((r) => r.stop()));
      await ingress?.close();
      await server.close();
      await admin.disconnect();
      await resources.close();
      if (crashed) process.exitCode = 1;
    })();
    return stopping;
  };
  const removeSignalHandlers = stopOnSignals(shutdown, log);

  try {
    for (const name of names) {
      const topologyFactory = registry[name];
      const sinkFactory = sinks[name];
      if (topologyFactory) {
        const delivery = (stageNames as readonly string[]).includes(name) ? deliveryFor(config, name as StageName) : config.DELIVERY;
        running.push(await runTopology(await topologyFactory(resources), { kafka, delivery, log, events, partitionsConsumedConcurrently: config.STAGE_PARTITION_CONCURRENCY }));
      } else if (sinkFactory) {
        // A store sink commits after its write is durable; Kafka transactions cannot cover it.
        running.push(await runBatchSink(await sinkFactory(resources), { kafka, log, events }));
      }
    }
  } catch (error) {
    await shutdown();
    removeSignalHandlers();
    throw error;
  }
  await new Promise<void>((resolve) => events.on('stopped', () => running.every((r) => !r.isReady()) && resolve()));
  await shutdown();
  removeSignalHandlers();
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<stage>', `a registered stage (${stageNames.join(', ')}), "ingress", or "all"`)
    .description('run a stage until SIGTERM/SIGINT (graceful: finish in-flight work, commit, leave the group); DELIVERY / DELIVERY_<STAGE> pick the mode')
    .action(async (stage: string) => {
      const config = loadConfig();
      if (stage === 'push') return (await import('./push.ts')).runPush(config);
      if (stage === 'ingress') {
        const { runIngress } = await import('./ingress.ts');
        return runIngress(config);
      }
      return runStages(config, stage);
    });
}
