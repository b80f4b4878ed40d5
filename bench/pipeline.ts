// `npm run bench:pipeline [-- --records N] [-- --mode at-least-once|exactly-once|both] [-- --mix mixed|terra] [-- --backlog] [-- --rounds N]`
//
// The whole chain as production runs it: one process per stage (`bridge run verify|normalize|
// enrich|route|sink`), real Kafka, registry, Redis and Postgres. N signed raw records (default
// 200 000: 70 % HealthKit batches of two samples, 20 % Terra sleep webhooks, 10 % Terra inline
// documents on its Kafka destination; `--mix terra`: every record a Terra sleep webhook, the chain
// the Kafka Streams comparison measures) go straight onto the raw topics with the headers ingress
// writes, bypassing HTTP. The stages are started and ready first; the clock starts at the first
// produced record, so the produce phase overlaps the processing (as live traffic would) and is
// included in the time. It stops when every event of this run is on its priority topic and every
// row is in Postgres. Only this run's events count (a unique user-id prefix per run).
//
// `--backlog`: the records are all on the raw topics before the stages start, and the clock starts
// at the last look (every 20 ms) at the stages' metrics before any of them had read a record; the
// stages' CPU counts from there. This is how a chain is measured draining a backlog, without the
// load generator's CPU on the same cores. `--rounds N`: every mode N times, alternating, and the
// median of each mode's records/s and CPU per record (single runs on this shared machine vary by
// about ±8 %).
//
// Latency is BiometricEvent receivedAt (the `received-at` header, or the Terra message time) →
// arrival at a NEUROS-side reader of the priority topics. The routed record's own timestamp is
// not used: stages keep the input's CreateTime (Kafka Streams semantics), so it equals receivedAt.
// Under a burst of N records it is dominated by queueing behind the backlog.
import { readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { deliveryModes, loadConfig, type DeliveryMode } from '../src/config/index.ts';
import { createLogger } from '../src/obs/logger.ts';
import { runningPid } from '../src/cli/stack/processes.ts';
import { median } from './support/median.ts';
import { cpuSeconds, machineCpu } from './support/process-cpu.ts';
import { createPostgresPool } from '../src/sink/index.ts';
import { priorities, priorityTopic, rawTopic, topics } from '../src/topics.ts';
import { freePort, healthkitHeaders, startBridge, terraHeaders, type BridgeProcess } from '../test/integration/pipeline-support.ts';
import { choiceFlag, countFlag } from './support/options.ts';

const config = loadConfig();
const records = countFlag('records', 200_000);
const modeFlag = choiceFlag('mode', ['both', ...deliveryModes], 'both');
const modes: DeliveryMode[] = modeFlag === 'both' ? [...deliveryModes] : [modeFlag];
const timeoutMs = countFlag('timeout-s', 1_200) * 1000;
const mix = choiceFlag('mix', ['mixed', 'terra'], 'mixed');
const backlog = process.argv.includes('--backlog');
const rounds = countFlag('rounds', 1);
/** The stages whose CPU the chain's per-record target counts (the sink is measured apart). */
const chainStages = ['verify', 'normalize', 'enrich', 'route'] as const;
const stages = ['verify', 'normalize', 'enrich', 'route', 'sink'] as const;
const usersPerRun = 1_000;

/**
 * Stage processes still running: stopped if the benchmark is interrupted, or they would stay in
 * the stages' consumer groups and take partitions of the next run (with another run's secrets).
 */
const running = new Set<BridgeProcess>();
const stopRunning = () => {
  for (const child of running) child.child.kill('SIGTERM');
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopRunning();
    process.exit(130);
  });
}

const kafka = new Kafka({ clientId: `bench-pipeline-${randomUUID().slice(0, 6)}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: 2, logger: createLogger({ level: 'warn', name: 'bench-pipeline' }), applicationName: 'bench-pipeline' });

interface StageStats {
  peakRssMb: number;
  peakRate: number;
  recordsIn: number;
  peakLag: number;
  /** User + system CPU of the stage process from ready to the run's end (sampled once a second). */
  cpuSeconds: number;
  /** Mean time a record spends in the topology (bridge_stream_processing_seconds), ms. */
  meanRecordMs: number;
  commits: number;
}

interface ModeResult {
  mode: DeliveryMode;
  /** 1-based; `--rounds` runs every mode that many times. */
  round?: number;
  events: number;
  produceSeconds: number;
  routedSeconds: number;
  rowsSeconds: number;
  sinkRowsPerSecond: number;
  sinkPeakRowsPerSecond: number;
  /** Share of the machine's CPU busy (all processes) from ready to the end. */
  machineBusy: number;
  /** The broker's CPU from ready to the end, seconds (undefined when its pid is unknown). */
  brokerCpuSeconds: number | undefined;
  p50: number;
  p99: number;
  max: number;
  stages: Record<string, StageStats>;
}

function vmRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function scrapeTotals(port: number): Promise<{ meanRecordMs: number; commits: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  let sum = 0;
  let count = 0;
  let commits = 0;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('bridge_stream_processing_seconds_sum')) sum += value;
    else if (line.startsWith('bridge_stream_processing_seconds_count')) count += value;
    else if (line.startsWith('bridge_stream_commits_total')) commits += value;
  }
  return { meanRecordMs: count > 0 ? (sum * 1000) / count : NaN, commits };
}

async function scrape(port: number): Promise<{ recordsIn: number; lag: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  let recordsIn = 0;
  let lag = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('bridge_stream_records_in_total')) recordsIn += Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith('bridge_stream_consumer_lag')) lag += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { recordsIn, lag };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The run's raw records, built before the clock starts; `received-at` is stamped at send time. */
function buildRecords(prefix: string, secrets: { healthkit: string; terra: string }) {
  const raw = { healthkit: [] as Array<{ body: Buffer; headers: Record<string, string> }>, terra: [] as Array<{ body: Buffer; headers: Record<string, string> }> };
  const terraInline: Buffer[] = [];
  let events = 0;
  const base = Date.parse('2026-06-01T00:00:00Z');
  const signedAt = Date.now();
  for (let i = 0; i < records; i++) {
    const user = `${prefix}-u${i % usersPerRun}`;
    const at = new Date(base + i * 1_000).toISOString();
    const slot = mix === 'terra' ? 7 : i % 10;
    if (slot < 7) {
      const body = Buffer.from(JSON.stringify({
        user_id: user,
        device: 'Apple Watch Series 9',
        samples: [
          { type: 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN', value: 30 + (i % 40), unit: 'ms', start: at, end: at, uuid: `${prefix}-${i}-hrv` },
          { type: 'HKQuantityTypeIdentifierRestingHeartRate', value: 50 + (i % 20), unit: 'count/min', start: at, end: at, uuid: `${prefix}-${i}-rhr` },
        ],
      }));
      raw.healthkit.push({ body, headers: healthkitHeaders(body, secrets.healthkit, signedAt) });
      events += 2;
    } else if (slot < 9) {
      const body = Buffer.from(JSON.stringify({
        type: 'sleep',
        user: { user_id: user, provider: 'OURA', reference_id: `${prefix}-ref` },
        data: [{
          metadata: { start_time: at, end_time: at, summary_id: `${prefix}-${i}-sleep`, is_nap: false },
          heart_rate_data: { summary: { avg_hr_bpm: 55, avg_hrv_rmssd: 18 + (i % 50), resting_hr_bpm: 48 } },
          scores: { sleep: 50 + (i % 45) },
        }],
        version: '2022-03-16',
      }));
      raw.terra.push({ body, headers: terraHeaders(body, secrets.terra, signedAt, `${prefix}-trace-${i}`) });
      events += 1;
    } else {
      terraInline.push(Buffer.from(JSON.stringify({
        id: `${prefix}-${i}`,
        type: 'body',
        user: { user_id: user },
        data: [{ timestamp: at, hrv_data: { rmssd: 15 + (i % 40) }, heart_rate_data: { avg_hr_bpm: 65 } }],
      })));
      events += 1;
    }
  }
  return { raw, terraInline, events };
}

/** Sends the run's raw records, 2,000 per request and up to 8 requests in flight; returns the seconds it took. */
async function produce(producer: Producer, built: ReturnType<typeof buildRecords>, prefix: string): Promise<number> {
  const started = Date.now();
  const chunk = 2_000;
  const sends: Array<Promise<unknown>> = [];
  const send = async (topic: string, messages: Message[]) => {
    sends.push(producer.send({ topic, acks: -1, messages }));
    if (sends.length >= 8) await Promise.all(sends.splice(0));
  };
  const stamp = () => String(Date.now());
  const longest = Math.max(built.raw.healthkit.length, built.raw.terra.length, built.terraInline.length);
  for (let at = 0; at < longest; at += chunk) {
    const receivedAt = stamp();
    const rawMessages = (list: Array<{ body: Buffer; headers: Record<string, string> }>) =>
      list.slice(at, at + chunk).map(({ body, headers }, j) => ({
        key: null,
        value: body,
        timestamp: receivedAt,
        headers: { 'x-request-id': `${prefix}-${at + j}`, 'received-at': receivedAt, 'source-address': '127.0.0.1', ...headers },
      }));
    const hk = rawMessages(built.raw.healthkit);
    const terra = rawMessages(built.raw.terra);
    const inline = built.terraInline.slice(at, at + chunk).map((value, j) => ({ key: `${prefix}-terra-${at + j}`, value, timestamp: receivedAt }));
    if (hk.length > 0) await send(rawTopic('healthkit'), hk);
    if (terra.length > 0) await send(rawTopic('terra'), terra);
    if (inline.length > 0) await send(topics.terraEvents, inline);
  }
  await Promise.all(sends);
  return (Date.now() - started) / 1000;
}

/** Warnings and errors in a stage's JSON log lines, by message, with their counts. */
function warnings(output: string): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; error?: string };
      if ((entry.level ?? 0) >= 40) {
        const key = entry.error ? `${entry.msg} (${entry.error})` : String(entry.msg);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    } catch {
      // not a log line
    }
  }
  return [...counts].map(([message, n]) => `${n}× ${message}`);
}

async function runMode(mode: DeliveryMode, metricsPorts: number[]): Promise<ModeResult> {
  const prefix = `bp-${randomUUID().slice(0, 8)}`;
  const secrets = { healthkit: randomBytes(24).toString('hex'), terra: randomBytes(24).toString('hex') };
  console.log(`\n[${mode}] run ${prefix}: building ${records.toLocaleString()} records…`);
  const built = buildRecords(prefix, secrets);

  const env = { DELIVERY: mode, LOG_LEVEL: 'warn', HEALTHKIT_WEBHOOK_SECRETS: secrets.healthkit, TERRA_WEBHOOK_SECRETS: secrets.terra };
  // NEUROS side: counts this run's routed records by key prefix; no decoding needed. It joins
  // before any stage starts, so it reads from the end and misses nothing of this run.
  const latencies = new Float64Array(built.events);
  let routed = 0;
  let routedAt = 0;
  const reader = kafka.consumer({ groupId: `bench.pipeline.reader.${prefix}`, maxBytesPerPartition: 4_194_304 });
  await reader.connect();
  await reader.subscribe({ topics: priorities.map(priorityTopic), fromBeginning: false });
  const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
  await reader.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        if (!message.key?.toString('latin1').startsWith(prefix)) continue;
        const header = message.headers?.['received-at'];
        const receivedAt = header === undefined ? Number(message.timestamp) : Number(String(header));
        if (routed < latencies.length) latencies[routed] = now - receivedAt;
        routed++;
      }
      if (routed >= built.events && routedAt === 0) routedAt = now;
    },
  });
  await joined;

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const backlogSeconds = backlog ? await produce(producer, built, prefix) : undefined;
  if (backlogSeconds !== undefined) console.log(`[${mode}] backlog: produced ${records.toLocaleString()} raw records in ${backlogSeconds.toFixed(1)} s before any stage started`);

  const children: Record<string, BridgeProcess> = {};
  // A stage that exits before the run ends stops the run at once, with what it printed.
  let stopping = false;
  let died: string | undefined;
  stages.forEach((stage, i) => {
    const child = startBridge(['run', stage], env, metricsPorts[i]!);
    children[stage] = child;
    running.add(child);
    void child.exited.then((code) => {
      running.delete(child);
      if (!stopping) died ??= `${stage} exited with ${code} during the run:\n${child.output().slice(-4_000)}`;
    });
  });
  const broker = runningPid('kafka');
  // CPU counts from the start of the work: start-up (transpiling, connecting) is not per-record work.
  let start = { at: 0, machine: machineCpu(), broker: 0, stages: {} as Record<string, number> };
  const snapshot = () => ({ at: Date.now(), machine: machineCpu(), broker: cpuSeconds(broker), stages: Object.fromEntries(stages.map((s) => [s, cpuSeconds(children[s]!.child.pid)])) });
  if (backlog) {
    // The clock starts at the last moment no stage had read a record: the time before the first
    // read is the processes' start-up, and starting later would credit the stages with records
    // they read unseen.
    for (;;) {
      const before = snapshot();
      const read = await Promise.all(stages.map((_, i) => scrape(metricsPorts[i]!).then((m) => m.recordsIn, () => 0)));
      if (read.some((n) => n > 0)) break;
      start = before;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (start.at === 0) throw new Error(`[${mode}] a stage had read records before the first look at its metrics`);
  }
  await Promise.all(Object.values(children).map((c) => c.waitReady(120_000)));
  console.log(`[${mode}] five stage processes ready`);
  if (!backlog) start = snapshot();
  const started = start.at;

  // Samplers: peak RSS per stage, records-in rate and lag from each stage's /metrics.
  const stats: Record<string, StageStats> = Object.fromEntries(stages.map((s) => [s, { peakRssMb: 0, peakRate: 0, recordsIn: 0, peakLag: 0, cpuSeconds: 0, meanRecordMs: NaN, commits: 0 }]));
  const lastIn: Record<string, { at: number; n: number } | undefined> = {};
  // A slow scrape on a loaded machine must not overlap the next: out-of-order samples fake peaks.
  const scraping = new Set<string>();
  const sampler = setInterval(() => {
    for (const [i, stage] of stages.entries()) {
      const s = stats[stage]!;
      s.peakRssMb = Math.max(s.peakRssMb, vmRssMb(children[stage]!.child.pid));
      s.cpuSeconds = Math.max(s.cpuSeconds, cpuSeconds(children[stage]!.child.pid));
      if (scraping.has(stage)) continue;
      scraping.add(stage);
      const askedAt = Date.now();
      void scrape(metricsPorts[i]!).then(({ recordsIn, lag }) => {
        const now = askedAt;
        const prev = lastIn[stage];
        if (prev && now > prev.at) s.peakRate = Math.max(s.peakRate, ((recordsIn - prev.n) * 1000) / (now - prev.at));
        lastIn[stage] = { at: now, n: recordsIn };
        s.recordsIn = recordsIn;
        s.peakLag = Math.max(s.peakLag, lag);
      }, () => undefined).finally(() => scraping.delete(stage));
    }
  }, 1_000);

  const produceSeconds = backlogSeconds ?? (await produce(producer, built, prefix));
  if (backlogSeconds === undefined) console.log(`[${mode}] produced ${records.toLocaleString()} raw records in ${produceSeconds.toFixed(1)} s; ${built.events.toLocaleString()} events expected`);

  // Rows: a range on the (user_id, occurred_at) index, polled once a second.
  let rowsAt = 0;
  let rows = 0;
  let firstRowAt = 0;
  let sinkPeak = 0;
  const rowSamples: Array<{ at: number; rows: number }> = [];
  const deadline = started + timeoutMs;
  let lastPrint = 0;
  while (rowsAt === 0 || routedAt === 0) {
    // The other stages are stopped where every failure of the run stops them.
    if (died !== undefined) throw new Error(`[${mode}] ${died}`);
    if (Date.now() > deadline) throw new Error(`[${mode}] timed out: ${routed} routed, ${rows} rows of ${built.events}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (rowsAt === 0) {
      const { rows: found } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM biometric_events WHERE user_id >= $1 AND user_id < $2', [`${prefix}-`, `${prefix}.`]);
      rows = Number(found[0]!.n);
      const now = Date.now();
      if (rows > 0 && firstRowAt === 0) firstRowAt = now;
      rowSamples.push({ at: now, rows });
      const window = rowSamples.find((s) => s.at >= now - 5_000);
      if (window && now > window.at) sinkPeak = Math.max(sinkPeak, ((rows - window.rows) * 1000) / (now - window.at));
      if (rows >= built.events) rowsAt = now;
    }
    if (Date.now() - lastPrint > 10_000) {
      lastPrint = Date.now();
      const lags = stages.map((s) => `${s} ${stats[s]!.recordsIn}`).join(', ');
      console.log(`[${mode}] ${((Date.now() - started) / 1000).toFixed(0)} s: routed ${routed}, rows ${rows} / ${built.events}; records in: ${lags}`);
    }
  }
  clearInterval(sampler);
  for (const stage of stages) {
    const s = stats[stage]!;
    s.cpuSeconds = Math.max(s.cpuSeconds, cpuSeconds(children[stage]!.child.pid)) - start.stages[stage]!;
    Object.assign(s, await scrapeTotals(metricsPorts[stages.indexOf(stage)]!).catch(() => ({})));
  }
  const brokerCpuSeconds = broker === undefined ? undefined : cpuSeconds(broker) - start.broker;
  const machineAtEnd = machineCpu();
  const machineBusy = (machineAtEnd.busy - start.machine.busy) / Math.max(1, machineAtEnd.total - start.machine.total);

  stopping = true;
  for (const [stage, child] of Object.entries(children)) {
    const code = await child.stop(60_000);
    if (code !== 0) console.log(`[${mode}] ${stage} exited ${code}: ${child.output().slice(-1_000)}`);
    // A stage that warned (a restarted consumer, a refused request) reads its input again and
    // costs more: say so beside its numbers.
    const warned = warnings(child.output());
    if (warned.length > 0) console.log(`[${mode}] ${stage} warned: ${warned.join('; ')}`);
  }
  await producer.disconnect();
  await reader.disconnect();
  if (routed !== built.events) console.log(`[${mode}] note: ${routed} routed records for ${built.events} events (at-least-once redelivery counts twice)`);

  const sorted = latencies.slice(0, Math.min(routed, latencies.length)).sort();
  const result: ModeResult = {
    mode,
    events: built.events,
    produceSeconds,
    routedSeconds: (routedAt - started) / 1000,
    rowsSeconds: (rowsAt - started) / 1000,
    sinkRowsPerSecond: built.events / Math.max(0.001, (rowsAt - firstRowAt) / 1000),
    sinkPeakRowsPerSecond: sinkPeak,
    machineBusy,
    brokerCpuSeconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    stages: stats,
  };
  await pool.query('DELETE FROM biometric_events WHERE user_id >= $1 AND user_id < $2', [`${prefix}-`, `${prefix}.`]);
  // Now rather than by autovacuum during the next run, on the cores that run measures.
  await pool.query('VACUUM biometric_events');
  return result;
}

const created = startBridge(['topics', 'create'], {}, await freePort());
if ((await created.exited) !== 0) throw new Error(`bridge topics create failed: ${created.output()}`);
const ports = await Promise.all(stages.map(() => freePort()));
const results: ModeResult[] = [];
// Modes alternate round by round, so a slow spell of the shared machine does not fall on one mode only.
try {
  for (let round = 1; round <= rounds; round += 1) {
    for (const mode of modes) results.push({ ...(await runMode(mode, ports)), round });
  }
} catch (error) {
  stopRunning();
  throw error;
}
await pool.end();

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const label = (r: ModeResult) => (rounds > 1 ? `${r.mode} #${r.round}` : r.mode);
const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`\nbench:pipeline — ${records.toLocaleString()} raw records per mode (${mix === 'terra' ? 'Terra webhooks only' : '70 % HealthKit, 20 % Terra webhooks, 10 % Terra on Kafka'}), five stage processes, ${backlog ? 'from a backlog produced before they started' : 'produced while they run'}, ${(await import('node:os')).cpus().length} CPUs (shared machine: other benchmarks may run beside it)`);
console.log('| mode | events | produce | all routed | all rows | chain events/s | sink rows/s (avg / peak 5 s) | latency p50 / p99 / max |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const done = Math.max(r.routedSeconds, r.rowsSeconds);
  console.log(`| ${label(r)} | ${f0(r.events)} | ${r.produceSeconds.toFixed(1)} s | ${r.routedSeconds.toFixed(1)} s | ${r.rowsSeconds.toFixed(1)} s | ${f0(r.events / done)} | ${f0(r.sinkRowsPerSecond)} / ${f0(r.sinkPeakRowsPerSecond)} | ${s1(r.p50)} / ${s1(r.p99)} / ${s1(r.max)} |`);
}
for (const r of results) console.log(`[${label(r)}] machine CPU busy from ready to end: ${(r.machineBusy * 100).toFixed(0)} %`);
console.log('\n| mode | stage | records in | peak in/s | peak lag | peak RSS | CPU after ready | CPU µs/record | mean ms in topology | commits |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  for (const stage of stages) {
    const s = r.stages[stage]!;
    console.log(`| ${label(r)} | ${stage} | ${f0(s.recordsIn)} | ${f0(s.peakRate)} | ${f0(s.peakLag)} | ${s.peakRssMb.toFixed(0)} MB | ${s.cpuSeconds.toFixed(1)} s | ${s.recordsIn > 0 ? f0((s.cpuSeconds * 1e6) / s.recordsIn) : '–'} | ${s.meanRecordMs.toFixed(2)} | ${f0(s.commits)} |`);
  }
}

// The target: CPU of verify + normalize + enrich + route per raw input record (Terra's
// Kafka documents count as input records too), with the broker's CPU per input record beside it.
console.log('\n| mode | input records | records/s (all routed) | verify+normalize+enrich+route µs CPU/input record | broker µs CPU/input record |');
console.log('|---|---|---|---|---|');
const chainMicros = (r: ModeResult) => (chainStages.reduce((sum, stage) => sum + r.stages[stage]!.cpuSeconds, 0) * 1e6) / records;
const brokerMicros = (r: ModeResult) => (r.brokerCpuSeconds === undefined ? undefined : (r.brokerCpuSeconds * 1e6) / records);
for (const r of results) {
  const broker = brokerMicros(r);
  console.log(`| ${label(r)} | ${f0(records)} | ${f0(records / r.routedSeconds)} | ${f0(chainMicros(r))} | ${broker === undefined ? '–' : f0(broker)} |`);
}
if (rounds > 1) {
  for (const mode of modes) {
    const own = results.filter((r) => r.mode === mode);
    const rates = own.map((r) => records / r.routedSeconds);
    const brokers = own.map(brokerMicros).filter((b): b is number => b !== undefined);
    console.log(`| ${mode}, median of ${rounds} (range) | ${f0(records)} | ${f0(median(rates))} (${f0(Math.min(...rates))}–${f0(Math.max(...rates))}) | ${f0(median(own.map(chainMicros)))} | ${brokers.length > 0 ? f0(median(brokers)) : '–'} |`);
  }
}
