// `npm run chaos [-- --events N] [-- --kills K] [-- --rate R] [-- --mode at-least-once|exactly-once|both]
//                [-- --broker-restarts B] [-- --timeout-s S] [-- --membership static|dynamic]
//                [-- --log-level warn|info|debug]`
//
// The fault soak: the native stack, the ingress and every stage as separate processes, a steady
// signed load through the ingress from clients that retry like vendors do (same delivery again,
// with backoff, until a 202), while on a schedule a random process is SIGKILLed and restarted,
// the broker is restarted, PostgreSQL is stopped for 30 s (the registry, which stores its schemas
// there, answers 5xx meanwhile) and Redis is stopped for 30 s. Then it waits until every accepted
// event is a row and on a priority topic (or nothing moves for two minutes) and prints what held.
//
// One event per request, one user per event: a row's user id and a routed record's key name the
// event, so lost and duplicated events are counted exactly. Loopback only; bounded in count and time.
// It restarts the native stack's services, so it refuses to run against an external stack.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pg from 'pg';
import { deliveryModes, loadConfig, type DeliveryMode } from '../src/config/index.ts';
import { usesExternalStack } from '../src/config/native-stack.ts';
import { waitFor } from '../src/app/wait-for.ts';
import { createLogger } from '../src/obs/logger.ts';
import { isKafkaUnavailable } from '../src/streams/index.ts';
import { kafkaService } from '../src/cli/stack/services/kafka.ts';
import { postgresService } from '../src/cli/stack/services/postgres.ts';
import { redisService } from '../src/cli/stack/services/redis.ts';
import type { StackService } from '../src/cli/stack/index.ts';
import { dlqTopic, dlqStages, priorities, priorityTopic, rawTopic, topics, verifiedTopic } from '../src/topics.ts';
import { freePort, startBridge, type BridgeProcess } from '../test/integration/pipeline-support.ts';
import { eventUser, healthkitUpload } from './support/signed-load.ts';
import { choiceFlag, countFlag, flag } from './support/options.ts';

const events = countFlag('events', 100_000);
const kills = countFlag('kills', 20, 0);
// Requests offered per second. At 500/s a broker restart left ~50,000 webhooks retrying at once and
// this process, not the pipeline, took a whole core on a 2-core machine; 100/s keeps it a small load.
const rate = countFlag('rate', 100);
const brokerRestarts = countFlag('broker-restarts', 5, 0);
const timeoutMs = countFlag('timeout-s', 1_800) * 1000;
const modeFlag = choiceFlag('mode', ['both', ...deliveryModes], 'both');
const modes: DeliveryMode[] = modeFlag === 'both' ? [...deliveryModes] : [modeFlag];
// static: each stage process keeps one KAFKA_GROUP_INSTANCE_ID across its restarts, as a pod does.
const membership = choiceFlag('membership', ['static', 'dynamic'], 'static');
const log = createLogger({ level: 'warn' });
/** A topic's offsets, once its partitions have leaders (topics created a moment ago may not yet). */
const topicOffsets = (admin: Admin, topic: string) => waitFor(() => admin.fetchTopicOffsets(topic), { log, dependency: 'kafka', what: `to answer the offsets of ${topic}`, isUnavailable: isKafkaUnavailable });
// The processes' LOG_LEVEL: info adds the runtime's hand-over lines (skipped records, resumes).
const processLogLevel = flag('log-level') ?? 'warn';
if (usesExternalStack()) throw new Error('npm run chaos restarts the native stack’s services; unset KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL and REDIS_URL');

const config = loadConfig();
const stages = ['verify', 'normalize', 'enrich', 'route', 'sink'] as const;
const processNames = ['ingress', ...stages] as const;
type ProcessName = (typeof processNames)[number];
const quietFor = 120_000; // two minutes without progress ends the wait

interface Managed {
  name: ProcessName;
  port: number;
  current: BridgeProcess;
  /** Output of every incarnation, for the ERROR count. */
  outputs: string[];
  restarts: number;
  unexpectedExits: string[];
  killedByUs: boolean;
}

interface ModeReport {
  mode: DeliveryMode;
  offered: number;
  accepted: number;
  rejected4xx: number;
  rows: number;
  lost: number;
  routedKeys: number;
  routedMissing: number;
  routedDuplicates: number;
  deadLetters: Record<string, number>;
  restarts: number;
  unexpectedExits: string[];
  readyMs: number[];
  /** Of those, the kills during which no dependency was down: the recovery a stage controls. */
  readyClearMs: number[];
  /** From the kill, or from the return of a dependency that was down meanwhile, whichever is later. */
  readySinceDependencyMs: number[];
  maxAcceptMs: number;
  errorLines: string[];
  faults: string[];
  quiesced: boolean;
}

const say = (line: string) => console.log(`[chaos] ${line}`);

/** What a process said last before it exited on its own: its last warning or error, or stderr text. */
function lastWords(output: string): string {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  const said = lines.filter((line) => !line.startsWith('{') || /"level":(40|50|60)/.test(line)).slice(-3);
  return said.length === 0 ? '(nothing)' : said.map((line) => line.slice(0, 300)).join(' | ');
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForService(service: StackService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await service.ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${service.name} did not answer within ${timeoutMs} ms of its restart; see ${service.logFile}`);
    await sleep(250);
  }
}

async function restartService(service: StackService, downMs: number): Promise<void> {
  await service.stop();
  await sleep(downMs);
  await service.start(() => undefined);
  await waitForService(service, service.startTimeoutMs);
}

async function runMode(mode: DeliveryMode): Promise<ModeReport> {
  const prefix = `chaos-${randomUUID().slice(0, 8)}`;
  const secret = randomBytes(24).toString('hex');
  // enrich keeps its baselines in LMDB as a deployment does, so a kill restores only the tail.
  const stateDir = await mkdtemp(join(tmpdir(), `${prefix}-state-`));
  const env = { DELIVERY: mode, LOG_LEVEL: processLogLevel, HEALTHKIT_WEBHOOK_SECRETS: secret, STATE_DIR: stateDir };
  const kafka = new Kafka({ clientId: `chaos-${prefix}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  pool.on('error', () => undefined); // Postgres is stopped on purpose during the run
  const report: ModeReport = {
    mode, offered: events, accepted: 0, rejected4xx: 0, rows: 0, lost: 0, routedKeys: 0, routedMissing: 0, routedDuplicates: 0,
    deadLetters: {}, restarts: 0, unexpectedExits: [], readyMs: [], readyClearMs: [], readySinceDependencyMs: [], maxAcceptMs: 0, errorLines: [], faults: [], quiesced: false,
  };

  // Where this run starts on the dead-letter topics, so only its dead letters are counted.
  const admin = kafka.admin();
  await admin.connect();
  const dlqStart = new Map<string, Map<number, string>>();
  for (const stage of dlqStages) {
    const offsets = await topicOffsets(admin, dlqTopic(stage));
    dlqStart.set(dlqTopic(stage), new Map(offsets.map((o) => [o.partition, o.high])));
  }

  const managed = new Map<ProcessName, Managed>();
  const spawnProcess = (name: ProcessName, port: number): BridgeProcess => {
    const args = name === 'ingress' ? ['run', 'ingress'] : ['run', name];
    const extra: Record<string, string> =
      name === 'ingress' ? { INGRESS_PORT: String(port) } : membership === 'static' ? { KAFKA_GROUP_INSTANCE_ID: `${prefix}-${name}` } : {};
    return startBridge(args, { ...env, ...extra }, port);
  };
  for (const name of processNames) {
    const port = await freePort();
    const proc = spawnProcess(name, port);
    const entry: Managed = { name, port, current: proc, outputs: [], restarts: 0, unexpectedExits: [], killedByUs: false };
    managed.set(name, entry);
  }
  const watchExit = (entry: Managed) => {
    const proc = entry.current;
    void proc.exited.then((code) => {
      if (entry.current !== proc || entry.killedByUs || stopping) return;
      // A process that exits on its own is a finding; bring it back and count it.
      entry.unexpectedExits.push(`exited ${String(code)} on its own; last words: ${lastWords(proc.output())}`);
      entry.outputs.push(proc.output());
      entry.current = spawnProcess(entry.name, entry.port);
      entry.restarts++;
      watchExit(entry);
    });
  };
  let stopping = false;
  for (const entry of managed.values()) watchExit(entry);
  await Promise.all([...managed.values()].map((m) => m.current.waitReady(180_000)));
  say(`[${mode}] ingress and five stages ready (run ${prefix})`);

  // NEUROS side: routed records of this run, by key (one user per event). Counted by position, so
  // a record this reader reads again (its own group rebalancing over a broker restart) is not
  // taken for a second record: only two offsets with one key are a duplicate.
  const routed = new Map<string, number>();
  const positions = new Set<string>();
  const duplicatedAt: string[] = [];
  const readerGroup = `chaos.reader.${prefix}`;
  // Start at today's ends as committed offsets, not at "latest": a reader that rejoins before its
  // first commit (its group rebalancing over a broker restart) would otherwise jump to the end again
  // and skip what was routed meanwhile.
  for (const topic of priorities.map(priorityTopic)) {
    const ends = await topicOffsets(admin, topic);
    await admin.setOffsets({ groupId: readerGroup, topic, partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })) });
  }
  // The reader's own client logs its warnings and lifecycle into reader.log beside the processes'
  // logs: its count has stalled after broker restarts while the stages went on.
  const readerLines: string[] = [];
  const note = (line: string) => readerLines.push(`${new Date().toISOString()} ${line}`);
  const readerKafka = new Kafka({
    clientId: `chaos-reader-${prefix}`,
    brokers: [...config.KAFKA_BROKERS],
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, log: entry }) => note(`${namespace}: ${entry.message}${entry.error ? ` (${String(entry.error)})` : ''}`),
  });
  // A static member, as NEUROS should run (startNeurosConsumer's groupInstanceId): as a dynamic
  // one it could not leave while the broker was down, and its rejoin waited out its own old
  // member's 30 s session after every broker restart.
  const reader = readerKafka.consumer({ groupId: readerGroup, groupInstanceId: `${readerGroup}-0`, maxBytesPerPartition: 4_194_304 });
  reader.on(reader.events.CRASH, ({ payload }) => {
    note(`crash (restart: ${payload.restart}): ${payload.error.message}`);
    if (!payload.restart) report.faults.push(`the routed reader crashed and stopped: ${payload.error.message}; routed counts are incomplete`);
  });
  reader.on(reader.events.GROUP_JOIN, ({ payload }) => note(`joined as ${payload.memberId}, ${Object.values(payload.memberAssignment).flat().length} partitions`));
  reader.on(reader.events.REBALANCING, () => note('rebalancing'));
  reader.on(reader.events.STOP, () => note('stopped'));
  let lastBatchNoted = 0;
  reader.on(reader.events.END_BATCH_PROCESS, ({ payload }) => {
    // At most one line per 5 s: enough to see when it stopped fetching.
    if (Date.now() - lastBatchNoted < 5_000) return;
    lastBatchNoted = Date.now();
    note(`batch ${payload.topic}/${payload.partition} at ${payload.lastOffset}, ${payload.batchSize} records`);
  });
  await reader.connect();
  await reader.subscribe({ topics: priorities.map(priorityTopic), fromBeginning: false });
  const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
  await reader.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const key = message.key?.toString();
        const position = `${batch.topic}/${batch.partition}/${message.offset}`;
        if (!key?.startsWith(prefix) || positions.has(position)) continue;
        positions.add(position);
        routed.set(key, (routed.get(key) ?? 0) + 1);
        if (routed.get(key)! > 1) duplicatedAt.push(`${key.slice(prefix.length)} again at ${position} (x-request-id ${message.headers?.['x-request-id']?.toString() ?? '-'})`);
      }
    },
  });
  await joined;

  // The load: `rate` requests a second, each retried like a vendor retries until a 202.
  const ingressUrl = () => `http://127.0.0.1:${managed.get('ingress')!.port}/webhooks/healthkit`;
  const accepted = new Set<string>();
  // How far each hop's output moved, printed with the progress: a count that stands still says
  // which process stopped (offsets, so exactly-once counts include transaction markers).
  const hops = [
    ['ingress', [rawTopic('healthkit')]],
    ['verify', [verifiedTopic('healthkit')]],
    ['normalize', [topics.events]],
    ['enrich', [topics.enriched]],
    ['route', priorities.map(priorityTopic)],
  ] as const;
  const hopEnd = async (names: readonly string[], wait: boolean) => {
    let sum = 0n;
    for (const topic of names) for (const o of await (wait ? topicOffsets(admin, topic) : admin.fetchTopicOffsets(topic))) sum += BigInt(o.high);
    return sum;
  };
  const hopStart = new Map<string, bigint>();
  for (const [hop, names] of hops) hopStart.set(hop, await hopEnd(names, true));
  const hopProgress = async () => {
    try {
      const moved: string[] = [];
      for (const [hop, names] of hops) moved.push(`${hop} ${(await hopEnd(names, false)) - hopStart.get(hop)!}`);
      return `; offsets moved: ${moved.join(', ')}`;
    } catch {
      return '; offsets: broker not answering';
    }
  };
  const loadStarted = Date.now();
  const loadSeconds = events / rate;
  let inFlight = 0;
  let lastAcceptedAt = 0;
  const deliver = async (i: number): Promise<void> => {
    const user = eventUser(prefix, i);
    const request = healthkitUpload(prefix, i, secret);
    const began = Date.now();
    for (let attempt = 0; Date.now() - loadStarted < timeoutMs; attempt++) {
      try {
        const res = await fetch(ingressUrl(), { method: 'POST', body: request.body, headers: request.headers, signal: AbortSignal.timeout(15_000) });
        await res.arrayBuffer();
        if (res.status === 202) {
          lastAcceptedAt = Date.now();
          accepted.add(user);
          report.maxAcceptMs = Math.max(report.maxAcceptMs, Date.now() - began);
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          report.rejected4xx++;
          return;
        }
      } catch {
        // connection refused or reset while the ingress restarts: retry like a vendor
      }
      await sleep(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  };
  const load = (async () => {
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < events; i++) {
      const due = loadStarted + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      inFlight++;
      pending.push(deliver(i).finally(() => inFlight--));
    }
    await Promise.all(pending);
  })();

  // When a dependency was down (stopped until it answered again), to tell a stage's own recovery
  // time from time spent waiting for a broker, Postgres or Redis.
  const outages: Array<{ from: number; to: number }> = [];
  const restartTracked = async (service: StackService, downMs: number) => {
    const outage = { from: Date.now(), to: Number.POSITIVE_INFINITY };
    outages.push(outage);
    try {
      await restartService(service, downMs);
    } finally {
      outage.to = Date.now();
    }
  };
  const dependencyDown = (from: number, to: number) => outages.some((o) => o.from <= to && o.to >= from);
  // An outage still going on when the stage was ready did not hold it up.
  const lastReturn = (from: number, to: number) => Math.max(from, ...outages.filter((o) => o.from <= to && o.to >= from && o.to <= to).map((o) => o.to));

  // The faults, spread over the load.
  const faults = (async () => {
    const schedule: Array<{ at: number; what: string; run: () => Promise<void> }> = [];
    const at = (fraction: number) => loadStarted + fraction * loadSeconds * 1000;
    for (let k = 0; k < kills; k++) {
      schedule.push({
        at: at((k + 0.5) / kills),
        what: 'kill',
        run: async () => {
          const names = [...managed.keys()];
          const entry = managed.get(names[Math.floor(Math.random() * names.length)]!)!;
          entry.killedByUs = true;
          entry.current.child.kill('SIGKILL');
          await entry.current.exited;
          entry.outputs.push(entry.current.output());
          const killedAt = Date.now();
          entry.current = spawnProcess(entry.name, entry.port);
          entry.killedByUs = false;
          entry.restarts++;
          watchExit(entry);
          try {
            await entry.current.waitReady(120_000);
            const readyAt = Date.now();
            const ms = readyAt - killedAt;
            const waited = dependencyDown(killedAt, readyAt);
            report.readyMs.push(ms);
            report.readySinceDependencyMs.push(readyAt - lastReturn(killedAt, readyAt));
            if (!waited) report.readyClearMs.push(ms);
            report.faults.push(`SIGKILL ${entry.name}: ready again in ${(ms / 1000).toFixed(1)} s${waited ? ' (a dependency was down meanwhile)' : ''}`);
          } catch (error) {
            report.faults.push(`SIGKILL ${entry.name}: not ready within 120 s (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`);
          }
        },
      });
    }
    for (let b = 0; b < brokerRestarts; b++) {
      schedule.push({ at: at((b + 0.3) / Math.max(1, brokerRestarts)), what: 'broker', run: async () => {
        const began = Date.now();
        await restartTracked(kafkaService, 1_000);
        const answered = Date.now();
        // How long the ingress takes to accept again once the broker answers (new offers arrive
        // every 1/rate s, so the first 202 after this moment says when it recovered).
        while (lastAcceptedAt < answered && inFlight > 0 && Date.now() - answered < 120_000) await sleep(50);
        const resumed =
          lastAcceptedAt >= answered ? `the ingress accepting again ${((lastAcceptedAt - answered) / 1000).toFixed(1)} s later` : inFlight === 0 ? 'no request waiting by then' : 'the ingress not accepting within 120 s';
        report.faults.push(`broker restarted, answering again after ${((answered - began) / 1000).toFixed(1)} s, ${resumed}`);
      } });
    }
    schedule.push({ at: at(0.5), what: 'postgres', run: async () => {
      await restartTracked(postgresService, 30_000);
      report.faults.push('postgres stopped for 30 s (registry answered 5xx meanwhile)');
    } });
    schedule.push({ at: at(0.75), what: 'redis', run: async () => {
      await restartTracked(redisService, 30_000);
      report.faults.push('redis stopped for 30 s');
    } });
    schedule.sort((a, b) => a.at - b.at);
    // Faults of one kind run one after another; kinds may overlap, as they would in production.
    const lanes = new Map<string, Promise<void>>();
    for (const fault of schedule) {
      if (fault.at > Date.now()) await sleep(fault.at - Date.now());
      const previous = lanes.get(fault.what) ?? Promise.resolve();
      lanes.set(fault.what, previous.then(fault.run).catch((error: unknown) => void report.faults.push(`${fault.what} fault failed: ${String(error)}`)));
    }
    await Promise.all(lanes.values());
  })();

  const progress = setInterval(() => {
    const line = `[${mode}] ${((Date.now() - loadStarted) / 1000).toFixed(0)} s: accepted ${accepted.size} / ${events}, in flight ${inFlight}, routed ${routed.size}, restarts ${[...managed.values()].reduce((n, m) => n + m.restarts, 0)}`;
    void hopProgress().then((hopsLine) => say(line + hopsLine));
  }, 15_000);
  await Promise.all([load, faults]);
  report.accepted = accepted.size;
  say(`[${mode}] load and faults done: ${accepted.size} accepted; waiting for quiescence`);

  // Quiescence: every accepted event a row and routed, or nothing moved for two minutes.
  const countRows = async () => {
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM biometric_events WHERE user_id >= $1 AND user_id < $2', [`${prefix}-`, `${prefix}.`]);
    return Number(rows[0]!.n);
  };
  let last = { rows: -1, routed: -1, at: Date.now() };
  for (;;) {
    const rows = await countRows().catch(() => last.rows);
    if (rows >= accepted.size && routed.size >= accepted.size) {
      report.quiesced = true;
      break;
    }
    if (rows !== last.rows || routed.size !== last.routed) last = { rows, routed: routed.size, at: Date.now() };
    else if (Date.now() - last.at > quietFor) break;
    await sleep(2_000);
  }
  await sleep(5_000); // late duplicates, if any, arrive now
  clearInterval(progress);

  const { rows: present } = await pool.query<{ user_id: string }>('SELECT user_id FROM biometric_events WHERE user_id >= $1 AND user_id < $2', [`${prefix}-`, `${prefix}.`]);
  const rowUsers = new Set(present.map((r) => r.user_id));
  report.rows = present.length;
  report.lost = [...accepted].filter((user) => !rowUsers.has(user)).length;
  report.routedKeys = routed.size;
  report.routedMissing = [...accepted].filter((user) => !routed.has(user)).length;
  report.routedDuplicates = [...routed.values()].reduce((n, count) => n + Math.max(0, count - 1), 0);
  report.faults.push(...duplicatedAt.slice(0, 10).map((line) => `routed twice: ${line}`));

  // Dead letters of this run, by reason.
  const dlqReader = kafka.consumer({ groupId: `chaos.dlq.${prefix}` });
  await dlqReader.connect();
  const dlqTopics = [...dlqStart.keys()];
  const ends = new Map<string, Map<number, string>>();
  for (const topic of dlqTopics) ends.set(topic, new Map((await topicOffsets(admin, topic)).map((o) => [o.partition, o.high])));
  let remaining = 0;
  for (const topic of dlqTopics) for (const [partition, high] of ends.get(topic)!) remaining += Number(high) - Number(dlqStart.get(topic)!.get(partition) ?? 0);
  if (remaining > 0) {
    await dlqReader.subscribe({ topics: dlqTopics, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void dlqReader.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (BigInt(message.offset) < BigInt(dlqStart.get(topic)!.get(partition) ?? '0')) return;
          if (BigInt(message.offset) >= BigInt(ends.get(topic)!.get(partition) ?? '0')) return;
          const reason = `${topic}:${String(message.headers?.['dlq-reason'] ?? 'unknown')}`;
          report.deadLetters[reason] = (report.deadLetters[reason] ?? 0) + 1;
          if (--remaining <= 0) resolve();
        },
      });
    });
    for (const topic of dlqTopics) for (const [partition, start] of dlqStart.get(topic)!) dlqReader.seek({ topic, partition, offset: start });
    await Promise.race([done, sleep(60_000)]);
  }
  await dlqReader.disconnect();

  stopping = true;
  for (const entry of managed.values()) {
    const code = await entry.current.stop(60_000).catch((error: unknown) => String(error));
    entry.outputs.push(entry.current.output());
    if (code !== 0) report.unexpectedExits.push(`${entry.name} exited ${String(code)} at the end`);
    report.restarts += entry.restarts;
    for (const exit of entry.unexpectedExits) report.unexpectedExits.push(`${entry.name} ${exit}`);
    for (const line of entry.outputs.join('\n').split('\n')) {
      if (/"level":(50|60)/.test(line)) report.errorLines.push(`${entry.name}: ${line.slice(0, 300)}`);
    }
  }
  await reader.disconnect();
  await admin.disconnect();
  await pool.query('DELETE FROM biometric_events WHERE user_id >= $1 AND user_id < $2', [`${prefix}-`, `${prefix}.`]).catch(() => undefined);
  await pool.end();
  await rm(stateDir, { recursive: true, force: true });
  // Every process's log lines (warn and above), to see what a stage did around a fault.
  const logDir = await mkdtemp(join(tmpdir(), `${prefix}-logs-`));
  for (const entry of managed.values()) await writeFile(join(logDir, `${entry.name}.log`), entry.outputs.join('\n'));
  await writeFile(join(logDir, 'reader.log'), readerLines.join('\n'));
  say(`[${mode}] process logs in ${logDir}`);
  return report;
}

const created = startBridge(['topics', 'create'], {}, await freePort());
if ((await created.exited) !== 0) throw new Error(`bridge topics create failed: ${created.output()}`);
const reports: ModeReport[] = [];
for (const mode of modes) reports.push(await runMode(mode));

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
console.log(`\nchaos — ${events.toLocaleString()} events offered at ${rate}/s per mode, ${kills} kills, ${brokerRestarts} broker restarts, postgres and redis 30 s each, ${membership} group membership`);
console.log('| mode | accepted | rows | lost | routed missing | routed duplicates | restarts | unexpected exits | ready after kill p50 / max | same, no dependency down (n) | ready after the kill or a dependency answering again p50 / max | max accept | ERROR lines | quiesced |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of reports) {
  console.log(`| ${r.mode} | ${r.accepted} | ${r.rows} | ${r.lost} | ${r.routedMissing} | ${r.routedDuplicates} | ${r.restarts} | ${r.unexpectedExits.length} | ${(quantile(r.readyMs, 0.5) / 1000).toFixed(1)} s / ${(Math.max(0, ...r.readyMs) / 1000).toFixed(1)} s | ${(quantile(r.readyClearMs, 0.5) / 1000).toFixed(1)} s / ${(Math.max(0, ...r.readyClearMs) / 1000).toFixed(1)} s (${r.readyClearMs.length}) | ${(quantile(r.readySinceDependencyMs, 0.5) / 1000).toFixed(1)} s / ${(Math.max(0, ...r.readySinceDependencyMs) / 1000).toFixed(1)} s | ${(r.maxAcceptMs / 1000).toFixed(1)} s | ${r.errorLines.length} | ${r.quiesced ? 'yes' : 'no'} |`);
}
for (const r of reports) {
  console.log(`\n[${r.mode}] dead letters: ${Object.keys(r.deadLetters).length === 0 ? 'none' : Object.entries(r.deadLetters).map(([k, n]) => `${k} ${n}`).join(', ')}; rejected with 4xx: ${r.rejected4xx}`);
  for (const line of r.faults) console.log(`[${r.mode}]   ${line}`);
  for (const line of r.unexpectedExits) console.log(`[${r.mode}]   ${line}`);
  for (const line of r.errorLines.slice(0, 20)) console.log(`[${r.mode}]   ERROR ${line}`);
}
const failed = reports.some((r) => r.lost > 0 || r.routedMissing > 0 || (r.mode === 'exactly-once' && r.routedDuplicates > 0) || r.unexpectedExits.length > 0);
console.log(failed ? '\nchaos: targets NOT met (see above)' : '\nchaos: 0 lost, no unexpected exits, no exactly-once duplicates');
process.exit(failed ? 1 : 0);
