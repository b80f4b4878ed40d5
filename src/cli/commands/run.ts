import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkaLogs } from '../../obs/kafka-log.ts';
import { deliveryFor, loadConfig, stageNames, type Env, type StageName } from '../../config/index.ts';
import { startObsServer } from '../../obs/http-server.ts';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from '../../obs/logger.ts';
import { createMetricsRegistry } from '../../obs/metrics.ts';
import { errorName, isKafkaUnavailable, runTopology, StreamEvents, stopOnSignals, type RunningTopology, type Topology } from '../../streams/index.ts';
import { bindStreamMetrics, createStageResources, stageTopologies, topologies as registeredTopologies, waitFor, type TopologyFactory } from '../../app/index.ts';
import { baselineQueryRoute } from '../../app/stages/enrich.ts';
import { startIngress } from './ingress.ts';
import { warnOfGroupJoinDelay } from '../../app/group-join-delay.ts';
import { stageRunOptions, stageStateBackend } from '../../app/stage-run-options.ts';

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Start-up waits for Kafka with a bounded, logged backoff for as long as it takes, never a fixed sleep. */
async function connectAdmin(admin: Admin, log: Logger, signal: AbortSignal): Promise<void> {
  await waitFor(
    async () => {
      await admin.connect();
      await admin.describeCluster();
    },
    { log, dependency: 'kafka', what: 'to answer', isUnavailable: isKafkaUnavailable, signal },
  );
}

export interface RunStagesOptions {
  /** The stage registry; tests pass their own. */
  topologies?: Partial<Record<string, TopologyFactory>>;
  /** Where log lines go (stdout unless a test reads them). */
  logDestination?: DestinationStream;
}

/**
 * Runs one registered stage (`all`: every one, plus the ingress) until SIGTERM/SIGINT, with
 * /metrics, /health and /ready on METRICS_PORT. Resolves after a graceful stop.
 */
export async function runStages(config: Readonly<Env>, stage: string, options: RunStagesOptions = {}): Promise<void> {
  const registry: Partial<Record<string, TopologyFactory>> = options.topologies ?? registeredTopologies;
  const known = Object.keys(registry);
  const names = stage === 'all' ? known : [stage];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`unknown stage "${stage}"; registered: ${known.length > 0 ? known.join(', ') : 'none yet'} (stages: ${stageNames.join(', ')})`);
  }

  const log = createLogger({ level: config.LOG_LEVEL, name: `bridge-${stage}` }, options.logDestination);
  const metrics = createMetricsRegistry();
  const events = new StreamEvents();
  bindStreamMetrics(metrics, events);
  const resources = createStageResources(config, log, metrics);
  const kafka = new Kafka({ clientId: `${config.KAFKA_CLIENT_ID}-${stage}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });
  const admin = kafka.admin();

  const running: RunningTopology[] = [];
  /** Graphs to start; known once every factory has built (hydrate builds two). */
  let expected = Number.POSITIVE_INFINITY;
  let crashed = false;
  events.on('crashed', () => {
    crashed = true;
    shutdown().catch((error: unknown) => log.error({ error: errorName(error) }, 'shutdown after a crash failed'));
  });
  const server = await startObsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry: metrics,
    version: packageVersion(),
    log,
    connections: () => ({
      kafka: async () => (await admin.describeCluster()).brokers.length > 0,
      ...resources.probes(),
    }),
    ready: () => running.length === expected && running.every((r) => r.isReady()),
    ...(names.includes('enrich') ? { routes: { '/state/': baselineQueryRoute(config, () => running.find((r) => r.topology.name === 'enrich')) } } : {}),
  });
  let ingress: Awaited<ReturnType<typeof startIngress>> | undefined;
  /**
   * The start-up step under way (the ingress or a topology starting). A stop aborts the waits of
   * start-up and lets this step finish, so what it starts is stopped too: a topology that joined
   * its group as Ctrl-C came finished starting after the stop and kept the process alive.
   */
  let starting: Promise<unknown> = Promise.resolve();
  const startUp = new AbortController();
  const startStep = <T>(work: Promise<T>): Promise<T> => {
    starting = work.catch(() => undefined);
    return work;
  };

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      startUp.abort();
      await starting;
      // One topology failing to stop cleanly must not keep the others' resources open.
      const stopped = await Promise.allSettled(running.map((r) => r.stop()));
      for (const result of stopped) if (result.status === 'rejected') log.warn({ error: errorName(result.reason) }, 'a topology did not stop cleanly');
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
    // /health and /ready answer while start-up still waits for a dependency (ready: false).
    await connectAdmin(admin, log, resources.signal);
    if (stage === 'all') await startStep(startIngress(config, log).then((started) => (ingress = started)));
    const built: { name: string; topologies: readonly Topology[] }[] = [];
    for (const name of names) {
      const factory = registry[name];
      if (factory) built.push({ name, topologies: await stageTopologies(factory, resources) });
    }
    expected = built.reduce((sum, stage) => sum + stage.topologies.length, 0);
    if (built.some((stage) => stage.topologies.some((topology) => topology.stateStores.length > 0))) await warnOfGroupJoinDelay(admin, log, 'state restore');
    const startSignal = AbortSignal.any([resources.signal, startUp.signal]);
    starting: for (const { name, topologies } of built) {
      const delivery = (stageNames as readonly string[]).includes(name) ? deliveryFor(config, name as StageName) : config.DELIVERY;
      const state = {
        ...(config.STATE_DIR ? { stateBackend: stageStateBackend(config, config.STATE_DIR) } : {}),
        ...(config.STATE_CHANGELOG_REPLICATION_FACTOR ? { changelogReplicationFactor: config.STATE_CHANGELOG_REPLICATION_FACTOR } : {}),
      };
      for (const topology of topologies) {
        if (stopping) break starting;
        const options = {
          kafka,
          delivery,
          log,
          events,
          ...stageRunOptions(config, server.port),
          // Unique per group: a stage's second graph (hydrate-backfill) is a member of its own group.
          ...(config.KAFKA_GROUP_INSTANCE_ID ? { groupInstanceId: `${config.KAFKA_GROUP_INSTANCE_ID}-${topology.name}` } : {}),
          ...state,
        };
        // A topic created a moment ago may have no leader yet, a broker may be restarting: wait.
        await startStep(waitFor(() => runTopology(topology, options), { log, dependency: 'kafka', what: `to start ${topology.name}`, isUnavailable: isKafkaUnavailable, signal: startSignal }).then((started) => running.push(started)));
      }
    }
  } catch (error) {
    const stoppedWhileStarting = stopping !== undefined;
    await shutdown();
    removeSignalHandlers();
    // A SIGTERM during start-up ends the waits with an abort: that is a graceful stop.
    if (stoppedWhileStarting && resources.signal.aborted) return;
    throw error;
  }
  // Stopped by a signal during start-up: nothing more to wait for.
  if (!stopping) await new Promise<void>((resolve) => events.on('stopped', () => running.every((r) => !r.isReady()) && resolve()));
  await shutdown();
  removeSignalHandlers();
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<stage>', `a registered stage (${stageNames.join(', ')}), "ingress", "push", or "all"`)
    .description('run a stage until SIGTERM/SIGINT (graceful: finish in-flight work, commit, leave the group); DELIVERY / DELIVERY_<STAGE> pick the mode')
    .action(async (stage: string) => {
      const config = loadConfig();
      if (stage === 'push') return (await import('./push.ts')).runPush(config);
      if (stage === 'ingress') {
        const { runIngress } = await import('./ingress.ts');
        return runIngress(config);
      }
      await runStages(config, stage);
      exitIfStillRunning(createLogger({ level: config.LOG_LEVEL, name: `bridge-${stage}` }));
    });
}

/**
 * Once the stages stopped, everything is committed and closed. A client that still holds a
 * socket or a timer (seen after broker restarts) must not keep a stopped stage alive until the
 * orchestrator kills it: name what holds it, and exit.
 */
export function exitIfStillRunning(log: Logger, afterMs = 5_000): void {
  setTimeout(() => {
    log.warn({ resources: process.getActiveResourcesInfo() }, 'stopped, but something still holds the process; exiting');
    process.exit(process.exitCode ?? 0);
  }, afterMs).unref();
}
