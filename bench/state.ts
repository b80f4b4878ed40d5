// `npm run bench:state`: what enrich's baseline store costs, and how fast a changelog restores.
// Every user has a day of events after another: a night's sleep (BENCH_STATE_DAY=night, the
// default) or an Oura user's four (BENCH_STATE_DAY=oura; see eventsOfDay). The first ten days'
// events (BENCH_STATE_USERS × 10 × the day's events) warm the stage and fill every user's
// retained days (a baseline's seven, today, and the grace) and are not measured: a stage that
// runs for weeks spends its time on users with full windows, which cost more per event than the
// growing ones of a fresh store. Then BENCH_STATE_RECORDS events over BENCH_STATE_USERS users
// (5000) are measured: 300000 as a stage (a run of 100000 lasted about a second, and rounds of
// one build spread by a third), 100000 in memory (the test driver keeps every output, so a longer
// run there measures its heap more than the store).
// 1. enrich in memory (the topology test driver, so Kafka round trips do not hide the cost):
//    the shipped rules with the baseline window store against the same rules without baseline
//    rules (no store), records/s and CPU µs per record, BENCH_ROUNDS rounds (5), median reported.
// 2. enrich as a stage: the same events as Avro on a fresh topic on Kafka, run by the runtime
//    with the options `bridge run enrich` gives it (`stageRunOptions`: partitions at once, fetch
//    sizes and waits, linger, commits; LMDB state as STATE_DIR gives a deployment; changelog)
//    with and without the baseline rules, each run a process of its own, alternating, BENCH_ROUNDS
//    rounds. Each round of a scenario drains two topics in two processes: the warm-up and the
//    measured events, and the warm-up alone; the measured events' records/s and CPU µs per record
//    are the difference of the two drains, each timed from its group join to its last chunk (see
//    stageMeasured), with its main thread's share (the stage's own work, without V8's and lmdb's
//    other threads), its garbage collection pauses, and the broker's CPU per record (it shares the
//    two cores: what the store adds to its work slows the stage too), and the stage process's
//    peak resident memory. The stage's throughput is what the store's cost is judged against.
//    BENCH_STATE_AGAINST=<dir of another checkout, its dependencies installed> runs each scenario
//    of that checkout's stage too (its own bench/state.ts as the child, so one that measures
//    drains as this one does), on the same input, alternating with this one's, and reports both:
//    how two builds compare.
// 3. restore: BENCH_STATE_CHANGELOG entries (default 1000000) written to a compacted changelog
//    topic on Kafka (the stack must be up) in chunks of 10000, each with its input-offset marker,
//    and again as compaction leaves a changelog (one marker, after every entry), each read back
//    into memory and LMDB storage as a restarting instance does (the last marker found first,
//    then the entries through it); entries/s.
// 4. live (BENCH_STATE_PARTS=live, not run by default): enrich as a stage at BENCH_STATE_RATE events/s
//    (2000) for BENCH_STATE_LIVE_SECONDS (30) after the warm-up, each run with a source topic of
//    its own, in a process of its own: CPU per event of the process and of its main thread, the
//    broker's, events per chunk and changelog records per event. A backlog's chunk holds a user
//    several times and writes the user's value once; at a live rate every event writes it.
// 5. flush (BENCH_STATE_PARTS=flush, not run by default; no Kafka): one partition's LMDB storage
//    as enrich writes it at BENCH_STATE_RATE events/s (a sixth of them, its partition's users, in
//    chunks of 17 events as the live part measures them), per STATE_FLUSH_INTERVAL_MS in
//    BENCH_STATE_FLUSH_INTERVALS (1000,5000,10000,30000): CPU per event of the storage writes (the
//    write-behind and LMDB's transaction, on the stage's thread) and the longest write (a flush). The clock is the events': 300000 of them (BENCH_STATE_RECORDS).
// 6. cache (BENCH_STATE_PARTS=cache, not run by default; no Kafka): one store partition's key
//    cache (STATE_CACHE_KEYS keys) when BENCH_STATE_CACHE_BUSY users (5000) send half the records
//    and users new to it the other half: the share of the busy users' records that read local
//    storage, and CPU per record.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Schema } from 'avsc';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { stackRoot } from '../src/cli/stack/paths.ts';
import { runningPid } from '../src/cli/stack/processes.ts';
import { loadConfig } from '../src/config/index.ts';
import type { BiometricEvent } from '../src/events/index.ts';
import { bridgeSchemas, createRegistryClient, registrySchemaStore } from '../src/schemas/index.ts';
import { changelogConfig, lmdbBackend, memoryBackend, runTopology, serdes, StreamEvents, type AvroSchemaStore, type RunOptions, type StateBackend } from '../src/streams/index.ts';
import { stageRunOptions, stageStateBackend } from '../src/app/stage-run-options.ts';
import { applyBridgeV8Flags } from '../src/app/v8-flags.ts';
import { reliableProducer } from '../src/streams/producers.ts';
import { kafkaChangelogReader } from '../src/streams/state/changelog-reader.ts';
import { markerHeader, markerKey } from '../src/streams/state/chunk-state.ts';
import { markedEnds } from '../src/streams/state/marked-ends.ts';
import { MarkedRestore } from '../src/streams/state/marked-restore.ts';
import { defaultCacheKeys, KeyCache } from '../src/streams/state/open-store.ts';
import { changelogTopicOf } from '../src/streams/state/spec.ts';
import { memorySchemaStore, TopologyTestDriver } from '../src/streams/testing/index.ts';
import { topics } from '../src/topics.ts';
import { loadRuleSet, parseRuleSet, type RuleSet } from '../src/triggers/index.ts';
import { baselineStoreName, defaultRulesFile, enrichTopology } from '../topologies/enrich.ts';
import { median } from './support/median.ts';
import { runChild } from './support/child-run.ts';
import { countEnv, flag } from './support/options.ts';
import { cpuSeconds } from './support/process-cpu.ts';
import { GcPauses } from './support/gc-pauses.ts';

// Every part with V8's settings of a bridge process (bin/bridge.js): each measures enrich as `bridge run enrich` runs it.
applyBridgeV8Flags();

const stageRecords = countEnv('BENCH_STATE_RECORDS', 300_000);
const driverRecords = countEnv('BENCH_STATE_RECORDS', 100_000);
const users = countEnv('BENCH_STATE_USERS', 5_000);
const rounds = countEnv('BENCH_ROUNDS', 5);
const changelogEntries = countEnv('BENCH_STATE_CHANGELOG', 1_000_000);
/** The live part's rate (events/s) and length: what a stage does between a backlog's drains. */
const liveRate = countEnv('BENCH_STATE_RATE', 2_000);
const liveSeconds = countEnv('BENCH_STATE_LIVE_SECONDS', 30);
const day = 86_400_000;
const hour = 3_600_000;

/**
 * A user's day of events. `night`: one sleep a night, with the HRV and resting heart rate every
 * baseline rule reads, so every event reads and writes the store: the worst case, and what the
 * target is judged on. `oura`: the day of an Oura user as hydrate and normalize make it (the
 * night's sleep period with its HRV and resting heart rate; the daily sleep with its score; the
 * readiness with its temperature; the activity with neither): one event in four reaches the store.
 */
type DayKind = 'night' | 'oura';
const dayKind = dayOption(process.env['BENCH_STATE_DAY']);
const eventsOfDay: ReadonlyArray<Partial<BiometricEvent> & { offsetMs: number }> =
  dayKind === 'night'
    ? [{ dataType: 'sleep', offsetMs: 0 }]
    : [
        { dataType: 'sleep', offsetMs: 0, sleepScore: null, temperatureDeltaC: null },
        { dataType: 'sleep', offsetMs: 3 * hour, hrvRmssdMs: null, restingHeartRateBpm: null, temperatureDeltaC: null },
        { dataType: 'readiness', offsetMs: 3 * hour + 5 * 60_000, hrvRmssdMs: null, restingHeartRateBpm: null, sleepScore: null, readinessScore: 80 },
        { dataType: 'activity', offsetMs: 14 * hour, hrvRmssdMs: null, restingHeartRateBpm: null, sleepScore: null, temperatureDeltaC: null },
      ];
const dayLabel = dayKind === 'night' ? "a night's sleep a day" : "an Oura user's four events a day";
/** Events before the measured ones: ten days of every user. */
const warmUp = users * 10 * eventsOfDay.length;

function dayOption(given: string | undefined): DayKind {
  if (given === undefined || given === '' || given === 'night') return 'night';
  if (given === 'oura') return 'oura';
  console.error(`BENCH_STATE_DAY must be night or oura; got ${given}`);
  process.exit(2);
}

/** A quiet client of the stack's brokers (the benchmark's own config, as a stage reads it). */
function benchKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [...loadConfig().KAFKA_BROKERS], logLevel: logLevel.NOTHING });
}

async function connectedAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/** The stack's schema registry, as a stage reads it. */
function benchSchemaStore(): AvroSchemaStore {
  return registrySchemaStore(createRegistryClient(loadConfig().SCHEMA_REGISTRY_URL));
}

interface Measured {
  recordsPerSecond: number;
  cpuMicrosPerRecord: number;
  /** The stack's broker over the same stretch (a stage only; undefined when its pid is unknown). */
  brokerMicrosPerRecord?: number;
  /** The thread the stage runs on, over the same stretch (a stage only): what the store adds there, without V8's and lmdb's other threads. */
  mainThreadMicrosPerRecord?: number;
  /** Garbage collection pauses of that thread over the same stretch (a stage only). */
  gcMicrosPerRecord?: number;
}

type Scenario = 'with store' | 'without store';

interface StageMeasured extends Measured {
  /** From `runTopology` to the first chunk processed. */
  startMs: number;
  changelogPerEvent: number;
  /** The stage process's peak resident memory. */
  peakRssMb: number;
}

/** Events of `users` users, a day of each after another (users interleaved), as many days as it takes: the warm-up's, then the measured ones. */
function events(records: number): BiometricEvent[] {
  const start = Date.UTC(2026, 0, 1, 4);
  return Array.from({ length: warmUp + records }, (_, i) => {
    const slot = Math.floor(i / users);
    const { offsetMs, ...kind } = eventsOfDay[slot % eventsOfDay.length]!;
    const occurredAt = start + Math.floor(slot / eventsOfDay.length) * day + offsetMs;
    return {
      eventId: `e${i}`,
      userId: `user-${i % users}`,
      source: 'OURA',
      dataType: 'sleep',
      deviceType: null,
      occurredAt,
      receivedAt: occurredAt + 60_000,
      hrvRmssdMs: 40 + (i % 37),
      restingHeartRateBpm: 48 + (i % 11),
      sleepScore: 60 + (i % 40),
      recoveryScore: null,
      readinessScore: null,
      temperatureDeltaC: 0.1,
      stressLevel: null,
      readings: [],
      op: 'UPSERT' as const,
      ...kind,
    };
  });
}

async function enrichRun(rules: RuleSet, input: readonly BiometricEvent[]): Promise<Measured> {
  const store = memorySchemaStore();
  const schemas = bridgeSchemas();
  const driver = new TopologyTestDriver(enrichTopology({ rules, schemaStore: store, now: () => 0 }));
  const topic = driver.inputTopic(topics.events, serdes.string(), serdes.avro<BiometricEvent>({ store, schema: schemas.BiometricEvent.json as Schema }));
  const queue = async (events: readonly BiometricEvent[]) => {
    for (const event of events) await topic.queue({ key: event.userId, value: event, partition: Number(event.userId.slice(5)) % 6 });
  };
  await queue(input.slice(0, warmUp));
  await driver.flush();
  const measured = input.slice(warmUp);
  await queue(measured);
  const cpu = process.cpuUsage();
  const began = performance.now();
  await driver.flush();
  const seconds = (performance.now() - began) / 1_000;
  const used = process.cpuUsage(cpu);
  return { recordsPerSecond: measured.length / seconds, cpuMicrosPerRecord: (used.user + used.system) / measured.length };
}

async function enrichBench(): Promise<void> {
  const input = events(driverRecords);
  const results: Record<Scenario, Measured[]> = { 'with store': [], 'without store': [] };
  for (let round = 0; round < rounds; round += 1) {
    results['without store'].push(await enrichRun(await rulesOf('without store'), input));
    results['with store'].push(await enrichRun(await rulesOf('with store'), input));
  }
  console.log(`enrich in memory (the test driver), ${driverRecords} events of ${users} users (${dayLabel}), after ${warmUp} of warm-up, median of ${rounds} rounds:`);
  report(results);
}

function report(results: Record<Scenario, Measured[]>): void {
  for (const [scenario, runs] of Object.entries(results)) {
    const broker = runs.flatMap((r) => (r.brokerMicrosPerRecord === undefined ? [] : [r.brokerMicrosPerRecord]));
    const mainThread = runs.flatMap((r) => (r.mainThreadMicrosPerRecord === undefined ? [] : [r.mainThreadMicrosPerRecord]));
    const gc = runs.flatMap((r) => (r.gcMicrosPerRecord === undefined ? [] : [r.gcMicrosPerRecord]));
    const notes = `${mainThread.length > 0 ? ` (main thread ${median(mainThread).toFixed(1)}${gc.length > 0 ? `; GC pauses ${median(gc).toFixed(1)}` : ''})` : ''}${broker.length > 0 ? `, broker ${median(broker).toFixed(1)} µs/record` : ''}`;
    console.log(`  ${scenario.padEnd(14)} ${median(runs.map((r) => r.recordsPerSecond)).toFixed(0).padStart(8)} records/s  ${median(runs.map((r) => r.cpuMicrosPerRecord)).toFixed(1).padStart(7)} µs CPU/record${notes}   (rounds: ${runs.map(roundOf).join(', ')})`);
  }
  const ratio = median(results['with store'].map((r) => r.recordsPerSecond)) / median(results['without store'].map((r) => r.recordsPerSecond));
  const cpuRatio = median(results['without store'].map((r) => r.cpuMicrosPerRecord)) / median(results['with store'].map((r) => r.cpuMicrosPerRecord));
  // Each round runs both scenarios back to back: its own ratio shows how far rounds spread.
  const withStore = results['with store'];
  const perRound = results['without store'].map((without, round) => `${((100 * withStore[round]!.recordsPerSecond) / without.recordsPerSecond).toFixed(0)} %`);
  console.log(`  the store keeps ${(ratio * 100).toFixed(0)} % of the stage's throughput (${(cpuRatio * 100).toFixed(0)} % by CPU per record; each round's: ${perRound.join(', ')}; ${dayKind === 'night' ? `target ≥ 70 %: ${ratio >= 0.7 ? 'met' : 'NOT met'}` : 'the target is judged on BENCH_STATE_DAY=night'})`);
}

/**
 * One round: records/s and CPU per record, and a stage's main thread, its GC pauses and the
 * broker in parentheses. Rounds of one build spread (a round with more GC runs slower all
 * through), so each is printed, not only the median.
 */
function roundOf(r: Measured): string {
  const thread = r.mainThreadMicrosPerRecord === undefined ? [] : [r.mainThreadMicrosPerRecord.toFixed(1)];
  const gc = r.gcMicrosPerRecord === undefined ? [] : [`GC ${r.gcMicrosPerRecord.toFixed(1)}`];
  const broker = r.brokerMicrosPerRecord === undefined ? [] : [`broker ${r.brokerMicrosPerRecord.toFixed(1)}`];
  const parts = [...thread, ...gc, ...broker];
  return `${(r.recordsPerSecond / 1_000).toFixed(0)}k ${r.cpuMicrosPerRecord.toFixed(1)} µs${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * The runner's options as `bridge run enrich` gives them (the configuration's partitions at once,
 * fetch sizes and waits, linger, commit interval, key cache, LMDB flush interval), at-least-once,
 * with LMDB under `dir`: the stage measured is the one deployed, not the runtime's defaults.
 */
function asDeployed(kafka: Kafka, dir: string): RunOptions {
  const config = loadConfig();
  return { kafka, ...stageRunOptions(config), delivery: 'at-least-once', stateBackend: stageStateBackend(config, dir) };
}

/**
 * A stage draining its whole source topic, in this process: from the moment it joined its group
 * to its last record's chunk, the time, this process's CPU, its main thread's, its garbage
 * collection pauses and the broker's. The stage part takes two such drains (stageMeasured).
 */
interface Drain {
  records: number;
  seconds: number;
  cpuSeconds: number;
  mainThreadSeconds: number;
  gcMs: number;
  /** Undefined when the broker's pid is unknown. */
  brokerSeconds?: number;
  /** From `runTopology` to the first chunk processed. */
  startMs: number;
  /** Records of the store's changelog (input-offset markers included). */
  changelogRecords: number;
  peakRssMb: number;
}

async function stageRun(kafka: Kafka, rules: RuleSet, source: string, output: string, groupId: string, records: number): Promise<Drain> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-state-stage-'));
  const schemaStore = benchSchemaStore();
  // The broker shares the machine's two cores: what the store adds to its work slows the stage too.
  const broker = runningPid('kafka');
  const gc = new GcPauses();
  const events = new StreamEvents();
  let joined: { at: number; cpu: NodeJS.CpuUsage; mainThread: number; broker: number } | undefined;
  let drained: Omit<Drain, 'startMs' | 'changelogRecords' | 'peakRssMb'> | undefined;
  let done = 0;
  let firstAt = 0;
  events.on('rebalanced', () => {
    if (joined) return;
    joined = { at: performance.now(), cpu: process.cpuUsage(), mainThread: mainThreadSeconds(), broker: cpuSeconds(broker) };
    gc.start();
  });
  events.on('processed', (e) => {
    firstAt ||= performance.now();
    done += Object.values(e.recordsIn).reduce((a, b) => a + b, 0);
    if (drained || done < records || !joined) return;
    const cpu = process.cpuUsage(joined.cpu);
    drained = {
      records: done,
      seconds: (performance.now() - joined.at) / 1_000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      mainThreadSeconds: mainThreadSeconds() - joined.mainThread,
      gcMs: gc.stop(),
      ...(broker === undefined ? {} : { brokerSeconds: cpuSeconds(broker) - joined.broker }),
    };
  });
  const began = performance.now();
  const running = await runTopology(enrichTopology({ rules, schemaStore, topics: { source, output, deadLetters: output }, groupId }), { ...asDeployed(kafka, dir), events });
  while (!drained) await new Promise((resolve) => setTimeout(resolve, 20));
  await running.stop();
  await rm(dir, { recursive: true, force: true });
  const admin = await connectedAdmin(kafka);
  const changelog = (await admin.listTopics()).find((topic) => topic === changelogTopicOf(groupId, baselineStoreName));
  const changelogRecords = changelog ? (await admin.fetchTopicOffsets(changelog)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0) : 0;
  await admin.disconnect();
  return { ...drained, startMs: firstAt - began, changelogRecords, peakRssMb: process.resourceUsage().maxRSS / 1_024 };
}

/**
 * The measured events' share of a stage's work: a drain of the warm-up and the measured events
 * less a drain of the warm-up alone, each from its group join to its last record. A stage works
 * on its partitions' chunks side by side and finishes them in bursts (every partition's last
 * chunk of a fetch together); a clock started at the chunk that passed the warm-up counted a
 * burst's records without the time spent on them, by as much as a fifth of a run, more with
 * larger chunks. Two whole drains start alike and end with nothing left.
 */
function stageMeasured(all: Drain, warm: Drain): StageMeasured {
  const records = all.records - warm.records;
  const perRecord = (a: number, b: number) => ((a - b) * 1e6) / records;
  return {
    recordsPerSecond: records / (all.seconds - warm.seconds),
    cpuMicrosPerRecord: perRecord(all.cpuSeconds, warm.cpuSeconds),
    mainThreadMicrosPerRecord: perRecord(all.mainThreadSeconds, warm.mainThreadSeconds),
    gcMicrosPerRecord: perRecord(all.gcMs / 1_000, warm.gcMs / 1_000),
    ...(all.brokerSeconds === undefined || warm.brokerSeconds === undefined ? {} : { brokerMicrosPerRecord: perRecord(all.brokerSeconds, warm.brokerSeconds) }),
    startMs: all.startMs,
    changelogPerEvent: all.changelogRecords / all.records,
    peakRssMb: all.peakRssMb,
  };
}

async function rulesOf(scenario: Scenario): Promise<RuleSet> {
  const withBaselines = await loadRuleSet(defaultRulesFile);
  return scenario === 'with store' ? withBaselines : parseRuleSet({ $schemaVersion: 1, rules: withBaselines.rules.filter((rule) => !rule.baseline) });
}

/** `script`: this benchmark's file in the checkout whose stage runs (BENCH_STATE_AGAINST names another). */
function stageInChild(script: string, scenario: Scenario, source: string, output: string, groupId: string, records: number): Drain {
  const drain = runChild<Partial<Drain>>(script, 'stage-child', [scenario, source, output, groupId, records], `enrich ${scenario} (${script})`);
  if (typeof drain.records !== 'number' || typeof drain.seconds !== 'number') {
    // Thrown, so the stage part still deletes its topics.
    throw new Error(`${script} does not measure a stage as a whole drain (a checkout before it did); copy this bench/state.ts into that checkout to compare the two`);
  }
  return drain as Drain;
}

/**
 * The checkouts whose stages the stage part runs: this one, and with BENCH_STATE_AGAINST=<dir>
 * another (its own sources and node_modules), each scenario in both on the same input, the order
 * alternating round by round. Two builds measured minutes apart on this machine differed by more
 * than most changes do; alternating on one input compares them in the same conditions.
 */
function stageCheckouts(): string[] {
  const here = fileURLToPath(import.meta.url);
  const against = process.env['BENCH_STATE_AGAINST'];
  if (!against) return [here];
  const other = join(against, 'bench', 'state.ts');
  if (!existsSync(other)) {
    console.error(`BENCH_STATE_AGAINST must be a checkout of this project; ${other} does not exist`);
    process.exit(2);
  }
  // Its stage finds the broker this one's stack runs (for the broker's CPU per record).
  process.env['BRIDGE_STACK_DIR'] ??= stackRoot;
  return [here, other];
}

async function stageBench(): Promise<void> {
  const checkouts = stageCheckouts();
  const kafka = benchKafka('bench-state-stage');
  const admin = await connectedAdmin(kafka);
  const run = randomUUID().slice(0, 8);
  // The warm-up and the measured events, and the warm-up alone: a drain of each (stageMeasured).
  const source = `bench.state-events-${run}`;
  const warmSource = `bench.state-warm-up-${run}`;
  const output = `bench.state-enriched-${run}`;
  const groups: string[] = [];
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [source, warmSource, output].map((topic) => ({ topic, numPartitions: 6 })) });
    const value = serdes.avro<BiometricEvent>({ store: benchSchemaStore(), schema: bridgeSchemas().BiometricEvent.json as Schema });
    const producer = reliableProducer(kafka);
    await producer.connect();
    const input = events(stageRecords);
    for (let at = 0; at < input.length; at += 5_000) {
      const messages = await Promise.all(input.slice(at, at + 5_000).map(async (event) => ({ key: event.userId, value: await value.serialize(event, source) })));
      await producer.send({ topic: source, acks: -1, messages });
      if (at < warmUp) await producer.send({ topic: warmSource, acks: -1, messages: messages.slice(0, warmUp - at) });
    }
    await producer.disconnect();
    const results = checkouts.map((): Record<Scenario, StageMeasured[]> => ({ 'with store': [], 'without store': [] }));
    for (let round = 0; round < rounds; round += 1) {
      // Each run in a process of its own, as a stage runs one topology: runs in one process shared
      // the runtime's compiled code and its type feedback, and the one without the store ran
      // 6.3 or 9.1 µs per record depending on what had run before it. The order alternates.
      const scenarios: Scenario[] = round % 2 === 0 ? ['without store', 'with store'] : ['with store', 'without store'];
      for (const scenario of scenarios) {
        for (let n = 0; n < checkouts.length; n += 1) {
          const c = round % 2 === 0 ? n : checkouts.length - 1 - n;
          const groupId = `bench.state-${run}-${scenario === 'with store' ? 'store' : 'plain'}-${round}-${c}`;
          groups.push(groupId, `${groupId}-warm-up`);
          const all = stageInChild(checkouts[c]!, scenario, source, output, groupId, input.length);
          const warm = stageInChild(checkouts[c]!, scenario, warmSource, output, `${groupId}-warm-up`, warmUp);
          results[c]![scenario].push(stageMeasured(all, warm));
        }
      }
    }
    checkouts.forEach((checkout, c) => {
      const measured = results[c]!;
      console.log(`enrich as a stage on Kafka (LMDB state, at-least-once), ${stageRecords} events of ${users} users (${dayLabel}), after ${warmUp} of warm-up, median of ${rounds} rounds${checkouts.length > 1 ? `, ${checkout}` : ''}:`);
      report(measured);
      const start = (scenario: Scenario) => median(measured[scenario].map((r) => r.startMs)).toFixed(0);
      console.log(`  start to the first chunk (not in the numbers above): ${start('with store')} ms with the store (its changelog topic made, storage opened, restored), ${start('without store')} ms without`);
      console.log(`  changelog records per event with the store: ${median(measured['with store'].map((r) => r.changelogPerEvent)).toFixed(2)} (a user's latest value once per chunk, and each chunk's input-offset marker)`);
      const peak = (scenario: Scenario) => Math.max(...measured[scenario].map((r) => r.peakRssMb)).toFixed(0);
      console.log(`  peak resident memory of the stage process: ${peak('with store')} MB with the store, ${peak('without store')} MB without (the most of any round)`);
    });
  } finally {
    const changelogs = (await admin.listTopics()).filter((topic) => groups.some((group) => topic.startsWith(`${group}-`)));
    await admin.deleteTopics({ topics: [source, warmSource, output, ...changelogs] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}

interface LiveMeasured {
  /** This process's CPU per event over the live stretch, all threads (the events' producer included, alike in both scenarios). */
  cpuMicrosPerEvent: number;
  /** The thread the stage runs on (the events' producer runs on it too, alike in both scenarios). */
  mainThreadMicrosPerEvent: number;
  brokerMicrosPerEvent?: number;
  changelogPerEvent: number;
  eventsPerChunk: number;
}

/** The stage's main thread's CPU seconds so far (/proc/self/task/<pid>/stat; lmdb's and V8's threads left out). */
function mainThreadSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * enrich as a stage at a live rate, in this process: its own source topic with the warm-up as a
 * backlog, then `liveRate` events a second for `liveSeconds`, produced here in 50 ms ticks, each
 * processed as it arrives (chunks of a few events, a user once per chunk).
 */
async function liveRun(kafka: Kafka, rules: RuleSet, source: string, output: string, groupId: string): Promise<LiveMeasured> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-state-live-'));
  const schemaStore = benchSchemaStore();
  const value = serdes.avro<BiometricEvent>({ store: schemaStore, schema: bridgeSchemas().BiometricEvent.json as Schema });
  const input = events(liveRate * liveSeconds);
  const producer = reliableProducer(kafka);
  await producer.connect();
  const produce = async (batch: readonly BiometricEvent[]) => {
    const messages = await Promise.all(batch.map(async (event) => ({ key: event.userId, value: await value.serialize(event, source) })));
    await producer.send({ topic: source, acks: -1, messages });
  };
  for (let at = 0; at < warmUp; at += 5_000) await produce(input.slice(at, Math.min(at + 5_000, warmUp)));
  const running = await runTopology(enrichTopology({ rules, schemaStore, topics: { source, output, deadLetters: output }, groupId }), asDeployed(kafka, dir));
  let done = 0;
  let chunks = 0;
  running.events.on('processed', (e) => {
    chunks += 1;
    done += Object.values(e.recordsIn).reduce((a, b) => a + b, 0);
  });
  while (done < warmUp) await new Promise((resolve) => setTimeout(resolve, 50));
  const admin = await connectedAdmin(kafka);
  const changelog = (await admin.listTopics()).find((topic) => topic === changelogTopicOf(groupId, baselineStoreName));
  const changelogEnd = async () => (changelog ? (await admin.fetchTopicOffsets(changelog)).reduce((sum, p) => sum + Number(p.high), 0) : 0);
  const broker = runningPid('kafka');
  const before = { changelog: await changelogEnd(), chunks, cpu: process.cpuUsage(), main: mainThreadSeconds(), broker: cpuSeconds(broker) };
  const perTick = Math.max(1, Math.round(liveRate / 20));
  for (let at = warmUp; at < input.length; at += perTick) {
    const tick = performance.now();
    await produce(input.slice(at, at + perTick));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (performance.now() - tick))));
  }
  while (done < input.length) await new Promise((resolve) => setTimeout(resolve, 20));
  const live = input.length - warmUp;
  const used = process.cpuUsage(before.cpu);
  const measured: LiveMeasured = {
    cpuMicrosPerEvent: (used.user + used.system) / live,
    mainThreadMicrosPerEvent: ((mainThreadSeconds() - before.main) * 1_000_000) / live,
    ...(broker === undefined ? {} : { brokerMicrosPerEvent: ((cpuSeconds(broker) - before.broker) * 1_000_000) / live }),
    changelogPerEvent: ((await changelogEnd()) - before.changelog) / live,
    eventsPerChunk: live / Math.max(1, chunks - before.chunks),
  };
  await running.stop();
  await producer.disconnect();
  await admin.disconnect();
  await rm(dir, { recursive: true, force: true });
  return measured;
}

async function liveBench(): Promise<void> {
  const kafka = benchKafka('bench-state-live');
  const admin = await connectedAdmin(kafka);
  const run = randomUUID().slice(0, 8);
  const output = `bench.state-live-enriched-${run}`;
  const made: string[] = [output];
  const groups: string[] = [];
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: output, numPartitions: 6 }] });
    const results: Record<Scenario, LiveMeasured[]> = { 'with store': [], 'without store': [] };
    for (let round = 0; round < rounds; round += 1) {
      const scenarios: Scenario[] = round % 2 === 0 ? ['without store', 'with store'] : ['with store', 'without store'];
      for (const scenario of scenarios) {
        const tag = `${scenario === 'with store' ? 'store' : 'plain'}-${round}`;
        // A source of its own per run: a run appends its live events, which the next would read as a backlog.
        const source = `bench.state-live-events-${run}-${tag}`;
        const groupId = `bench.state-live-${run}-${tag}`;
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: source, numPartitions: 6 }] });
        made.push(source);
        groups.push(groupId);
        results[scenario].push(runChild<LiveMeasured>(fileURLToPath(import.meta.url), 'live-child', [scenario, source, output, groupId], `enrich ${scenario} at a live rate`));
      }
    }
    console.log(`enrich as a stage at ${liveRate} events/s for ${liveSeconds} s (${users} users, ${dayLabel}; LMDB state, at-least-once), after ${warmUp} of warm-up, median of ${rounds} rounds:`);
    for (const [scenario, runs] of Object.entries(results)) {
      const broker = runs.flatMap((r) => (r.brokerMicrosPerEvent === undefined ? [] : [r.brokerMicrosPerEvent]));
      console.log(
        `  ${scenario.padEnd(14)} ${median(runs.map((r) => r.cpuMicrosPerEvent)).toFixed(1).padStart(6)} µs CPU/event (main thread ${median(runs.map((r) => r.mainThreadMicrosPerEvent)).toFixed(1)})${broker.length > 0 ? `, broker ${median(broker).toFixed(1)} µs/event` : ''}, ${median(runs.map((r) => r.eventsPerChunk)).toFixed(1)} events per chunk   (rounds: ${runs.map((r) => `${r.cpuMicrosPerEvent.toFixed(1)} µs`).join(', ')})`,
      );
    }
    const cost = median(results['with store'].map((r) => r.mainThreadMicrosPerEvent)) - median(results['without store'].map((r) => r.mainThreadMicrosPerEvent));
    console.log(`  the store costs ${cost.toFixed(1)} µs of the main thread per event; changelog records per event: ${median(results['with store'].map((r) => r.changelogPerEvent)).toFixed(2)} (a user once per chunk: every event writes the user's whole value)`);
  } finally {
    const changelogs = (await admin.listTopics()).filter((topic) => groups.some((group) => topic.startsWith(`${group}-`)));
    await admin.deleteTopics({ topics: [...made, ...changelogs] }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}

async function restoreBench(): Promise<void> {
  // As chunks write it, each chunk's entries then its input-offset marker; and as compaction
  // leaves a changelog older than its open segment, each key once and only the latest marker,
  // after them all: what a new instance's full restore reads.
  for (const shape of ['chunks', 'compacted'] as const) await restoreShape(shape);
}

async function restoreShape(shape: 'chunks' | 'compacted'): Promise<void> {
  const kafka = benchKafka('bench-state');
  const admin = await connectedAdmin(kafka);
  const topic = `bench-state-${Date.now()}-changelog`;
  const dir = await mkdtemp(join(tmpdir(), 'bench-state-'));
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: Object.entries(changelogConfig).map(([name, value]) => ({ name, value })) }] });
    const producer = reliableProducer(kafka);
    await producer.connect();
    const value = Buffer.from(JSON.stringify({ observedUntil: 0, windows: [[0, { hrvRmssdMs: { sum: 65, count: 1 } }]] }));
    for (let i = 0; i < changelogEntries; i += 10_000) {
      const messages = Array.from({ length: Math.min(10_000, changelogEntries - i) }, (_, j) => ({ key: `user-${i + j}`, value }));
      const last = i + messages.length >= changelogEntries;
      const marker = { key: markerKey('bench.state-events'), value: String(i + messages.length), headers: { [markerHeader]: 'input-offset' } };
      await producer.send({ topic, acks: -1, messages: shape === 'chunks' || last ? [...messages, marker] : messages });
    }
    await producer.disconnect();
    for (const [name, backend] of [['memory', memoryBackend()], ['lmdb', lmdbBackend(dir)]] as Array<[string, StateBackend]>) {
      const storage = await backend.open('bench', 'baselines', 0);
      const reader = kafkaChangelogReader(kafka, 'bench.state');
      const began = performance.now();
      // As a stage restores: where the last marker lies first, so entries before it apply as they are read.
      const from = new Map([[0, undefined]]);
      const ends = await markedEnds(reader, topic, from, await reader.offsets(topic));
      const marked = new MarkedRestore(storage, ends.get(0));
      let restored = 0;
      await reader.restore(topic, from, async (_partition, entries, nextOffset) => {
        await marked.add(entries, nextOffset);
        restored += entries.length;
      });
      await marked.finish();
      const seconds = (performance.now() - began) / 1_000;
      console.log(`restore of ${shape.padEnd(9)} into ${name.padEnd(6)} ${restored} entries in ${seconds.toFixed(2)} s: ${(restored / seconds).toFixed(0)} entries/s (group joins included; target ≥ 100000: ${restored / seconds >= 100_000 ? 'met' : 'NOT met'})`);
      await storage.close();
      await reader.close();
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What local storage costs per event at a live rate, per flush interval: a user's events are
 * seconds apart, so a longer interval folds more of each user's writes into one LMDB put. The
 * storage is one partition's, written as a chunk's apply writes it (its entries and the
 * input-offset marker, then the checkpoint), with time taken from the events, not the wall.
 */
async function flushBench(): Promise<void> {
  const partitionUsers = Math.ceil(users / 6);
  const partitionRate = liveRate / 6;
  const perChunk = 17;
  const intervals = (process.env['BENCH_STATE_FLUSH_INTERVALS'] ?? '1000,5000,10000,30000').split(',').map(Number);
  const keys = Array.from({ length: partitionUsers }, (_, u) => Buffer.from(`user-${u * 6}`, 'utf8'));
  const marker = Buffer.from('\u0000input-offset:bench.state-events', 'utf8');
  console.log(`local storage (LMDB) of one partition at ${partitionRate.toFixed(0)} events/s (${liveRate}/s over 6 partitions, ${partitionUsers} users in random order, chunks of ${perChunk}), ${stageRecords} events:`);
  for (const intervalMs of intervals) {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new Error(`BENCH_STATE_FLUSH_INTERVALS: ${intervalMs} is not a positive number of ms`);
    const dir = await mkdtemp(join(tmpdir(), 'bench-state-flush-'));
    let now = 0;
    const storage = await lmdbBackend(dir, { intervalMs, now: () => now }).open('bench', 'baselines', 0);
    await storage.write(keys.map((key) => ({ key, value: Buffer.alloc(323, 1) })), '0');
    // A seeded order, so every interval sees the same events.
    let seed = 42;
    const nextUser = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % partitionUsers;
    let cpuMicros = 0;
    let longestMs = 0;
    for (let at = 0; at < stageRecords; at += perChunk) {
      const entries = Array.from({ length: perChunk }, () => ({ key: keys[nextUser()]!, value: Buffer.alloc(323, at & 255) }));
      entries.push({ key: marker, value: Buffer.from(String(at), 'utf8') });
      now = (at * 1_000) / partitionRate;
      const cpu = process.cpuUsage();
      const began = performance.now();
      await storage.write(entries, String(at));
      longestMs = Math.max(longestMs, performance.now() - began);
      const used = process.cpuUsage(cpu);
      cpuMicros += used.user + used.system;
    }
    await storage.close();
    await rm(dir, { recursive: true, force: true });
    console.log(`  STATE_FLUSH_INTERVAL_MS=${String(intervalMs).padEnd(6)} ${(cpuMicros / stageRecords).toFixed(2).padStart(6)} µs CPU/event, longest write ${longestMs.toFixed(1)} ms`);
  }
}

/**
 * A store partition's key cache when more users send than it holds: `busy` users send half the
 * records and users new to it the other half (one record each), so the cache fills with keys
 * used once. The share of the busy users' records whose key the cache no longer held (each
 * such record reads local storage) says whether it lets go of the right keys.
 */
function cacheBench(): void {
  const capacity = countEnv('STATE_CACHE_KEYS', defaultCacheKeys);
  const busy = countEnv('BENCH_STATE_CACHE_BUSY', 5_000);
  const records = 2_000_000;
  const cache = new KeyCache(capacity);
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  let newUsers = 0;
  let busyRecords = 0;
  let busyMisses = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < records; i += 1) {
    const isBusy = random() < 0.5;
    const user = isBusy ? `busy-${Math.floor(random() * busy)}` : `new-${newUsers++}`;
    if (isBusy) busyRecords += 1;
    if (cache.byText(user) !== undefined) continue;
    if (isBusy) busyMisses += 1;
    cache.add(Buffer.from(user, 'utf8'), user);
  }
  const used = process.cpuUsage(cpu);
  console.log(`key cache of one store partition (STATE_CACHE_KEYS=${capacity}), ${records} records: ${busy} busy users send half of them, users new to it one record each the other half:`);
  console.log(`  busy users' records whose key the cache no longer held (read from local storage): ${((100 * busyMisses) / busyRecords).toFixed(2)} %; ${((used.user + used.system) / records).toFixed(2)} µs CPU per record (lookups, new keys and letting go)`);
}

/** A measured run in a process of its own (`runChild`): a stage draining the backlog, or at a live rate. */
for (const name of ['stage-child', 'live-child'] as const) {
  const args = flag(name);
  if (args === undefined) continue;
  const [scenario, source, output, groupId, records] = args.split(',') as [Scenario, string, string, string, string];
  const kafka = benchKafka(`bench-state-${name}`);
  const rules = await rulesOf(scenario);
  console.log(JSON.stringify(name === 'stage-child' ? await stageRun(kafka, rules, source, output, groupId, Number(records)) : await liveRun(kafka, rules, source, output, groupId)));
  process.exit(0);
}

// BENCH_STATE_PARTS=memory,stage,live,flush,cache,restore (memory,stage,restore by default) runs some of them, e.g. under a profiler.
const parts = new Set((process.env['BENCH_STATE_PARTS'] ?? 'memory,stage,restore').split(','));
if (parts.has('memory')) await enrichBench();
if (parts.has('stage')) await stageBench();
if (parts.has('live')) await liveBench();
if (parts.has('flush')) await flushBench();
if (parts.has('cache')) cacheBench();
if (parts.has('restore')) await restoreBench();
