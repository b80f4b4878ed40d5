import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { nativeEndpoints, nativeStack } from '../../../config/native-stack.ts';
import { findJava, mvn } from '../java.ts';
import { stackPaths } from '../paths.ts';
import { run, runningPid, startDetached, stopProcess } from '../processes.ts';
import type { StackService } from '../service.ts';
import { setTopicOverride } from '../../../streams/topic-overrides.ts';

// kafkajs is CommonJS and this enum is not among the names Node can import from it.
const { ConfigResourceTypes } = kafkajs;

const name = 'kafka';
const home = stackPaths.service(name);
const dataDir = join(home, 'data');
const classpathFile = join(home, 'classpath');
const propertiesFile = join(home, 'server.properties');
const log4jFile = join(home, 'log4j2.properties');

/**
 * Segment size of the group and transaction coordinators' topics. The log cleaner compacts only
 * rolled segments, and Kafka's 100 MB default never rolls at this stack's commit rate, so every
 * offset commit and transaction record since the broker was formatted stays. After a restart the
 * coordinators read all of them before they answer: 7–9 s on an idle stack after a day of soaks,
 * and consumer groups answered COORDINATOR_LOAD_IN_PROGRESS for 40 s under load. Compacted, the
 * same data loaded in about 1 s.
 */
const coordinatorSegmentBytes = 1_048_576;
const coordinatorTopics = ['__consumer_offsets', '__transaction_state'] as const;

/** A single KRaft node in combined mode; internal topics use replication 1 so transactions work. */
function serverProperties(): string {
  const host = '127.0.0.1';
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://${host}:${nativeStack.kafkaPort},CONTROLLER://${host}:${nativeStack.kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${nativeStack.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `controller.quorum.bootstrap.servers=${host}:${nativeStack.kafkaControllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    `offsets.topic.segment.bytes=${coordinatorSegmentBytes}`,
    `transaction.state.log.segment.bytes=${coordinatorSegmentBytes}`,
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    // Above every topic limit `bridge topics create` sets for 1 MiB bodies (src/topic-limits.ts), so
    // topics created without it hold them too; replica fetches must take the largest record.
    'message.max.bytes=2097152',
    'replica.fetch.max.bytes=2097152',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=10000',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

const log4jProperties = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.kafka.name = kafka',
  'logger.kafka.level = WARN',
  'logger.state.name = state.change.logger',
  'logger.state.level = WARN',
  '',
].join('\n');

async function runJava(what: string, args: string[]): Promise<void> {
  try {
    await run(javaForKafka(), args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`${what} failed: ${stderr.split('\n').slice(0, 5).join('\n')}`);
  }
}

function javaForKafka(): string {
  const found = findJava(17);
  if (!found) throw new Error('Kafka needs Java 17 or newer: install openjdk-17-jre-headless');
  return found.java;
}

function stackAdmin(retries = 0) {
  return new Kafka({
    clientId: 'bridge-stack',
    brokers: [nativeEndpoints.kafkaBrokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries },
  }).admin();
}

export const kafkaService: StackService = {
  name,
  endpoint: nativeEndpoints.kafkaBrokers,
  logFile: stackPaths.log(name),
  startTimeoutMs: 120_000,
  async install(say) {
    mkdirSync(home, { recursive: true });
    const stale = !existsSync(classpathFile) || statSync(classpathFile).mtimeMs < statSync(stackPaths.pom).mtimeMs;
    if (stale) {
      say('resolving Kafka jars with mvn (cached in ~/.m2 after the first run)');
      await mvn(['-f', stackPaths.pom, 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`]);
    }
    writeFileSync(propertiesFile, serverProperties());
    writeFileSync(log4jFile, log4jProperties);
    if (!existsSync(join(dataDir, 'meta.properties'))) {
      say('formatting Kafka storage (first run only)');
      // Kafka's cluster id is 16 random bytes in URL-safe base64 without padding. Passed as
      // `--cluster-id=<id>`: one id in 64 begins with '-', which the tool otherwise reads as a flag.
      const clusterId = randomBytes(16).toString('base64url');
      await runJava('kafka storage format', [
        '-cp', readFileSync(classpathFile, 'utf8').trim(),
        `-Dlog4j2.configurationFile=${log4jFile}`,
        'kafka.tools.StorageTool', 'format', '--config', propertiesFile, `--cluster-id=${clusterId}`, '--standalone',
      ]);
    }
  },
  async start() {
    if (runningPid(name) !== undefined) return;
    startDetached({
      name,
      command: javaForKafka(),
      args: [
        '-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4jFile}`,
        `-Dkafka.logs.dir=${stackPaths.logs}`,
        '-cp', readFileSync(classpathFile, 'utf8').trim(),
        'kafka.Kafka', propertiesFile,
      ],
    });
  },
  async ready() {
    const admin = stackAdmin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } finally {
      await admin.disconnect();
    }
  },
  // The broker settings apply only when it creates the two topics; a stack formatted before they
  // were set keeps 100 MB segments until they are set on the topics themselves.
  async settle(say) {
    const admin = stackAdmin(5);
    try {
      await admin.connect();
      const present = new Set(await admin.listTopics());
      const topics = coordinatorTopics.filter((t) => present.has(t));
      if (topics.length === 0) return;
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['segment.bytes'] })),
      });
      for (const resource of resources) {
        const current = resource.configEntries.find((e) => e.configName === 'segment.bytes')?.configValue;
        if (Number(current) === coordinatorSegmentBytes) continue;
        await setTopicOverride(admin, resource.resourceName, 'segment.bytes', String(coordinatorSegmentBytes));
        say(`kafka: ${resource.resourceName} now rolls segments at 1 MiB (was ${current} bytes), so the log cleaner compacts it and a restarted broker loads it fast`);
      }
    } finally {
      await admin.disconnect();
    }
  },
  pid: () => runningPid(name),
  stop: () => stopProcess(name, { graceMs: 30_000 }),
};
