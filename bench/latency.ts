// `npm run bench:latency [-- --rate R] [-- --seconds S] [-- --mode at-least-once|exactly-once|both] [-- --hops] [-- --one-process]`
//
// End-to-end latency under a steady load, as NEUROS sees it: signed HealthKit uploads offered at
// R per second (default 1 000) for S seconds (default 60) through the ingress, with the ingress and
// every stage as its own process on the native stack. For each event: the ingress's 202 → the
// routed record's arrival at a reader of the priority topics (read_committed, on its own thread so
// the load generator's event loop does not delay its stamps). Prints p50, p99 and
// max per delivery mode (and the p99 after the first 10 s, the warm chain), plus how many events arrived and how many requests were not accepted,
// and the p99 of the events offered in each 10 s: a tail from the stages' cold start shows there.
// With --hops the same reader follows each event through the intermediate topics, and a second
// table shows where the time goes: for each hop, the time from the event's arrival on the topic
// before it. A last table bills each process's CPU per accepted event.
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { deliveryModes, loadConfig, type DeliveryMode } from '../src/config/index.ts';
import { priorities, priorityTopic, rawTopic, topics, verifiedTopic } from '../src/topics.ts';
import { freePort, startBridge, type BridgeProcess } from '../test/integration/pipeline-support.ts';
import { runningPid } from '../src/cli/stack/processes.ts';
import { cpuSeconds, machineCpu } from './support/process-cpu.ts';
import { healthkitUpload } from './support/signed-load.ts';
import { nowMs, type LatencyReaderData, type ReaderMessage } from './support/latency-reader.ts';
import { choiceFlag, countFlag } from './support/options.ts';

const rate = countFlag('rate', 1_000);
const seconds = countFlag('seconds', 60);
const modeFlag = choiceFlag('mode', ['both', ...deliveryModes], 'both');
// Following every event through the intermediate topics reads five times the records on the same
// two cores, so it is asked for; the headline numbers come from runs without it.
const traceHops = process.argv.includes('--hops');
// The ingress and every stage in one process (`bridge run all`, as `npm start` runs them) instead
// of one process each.
const oneProcess = process.argv.includes('--one-process');
const modes: DeliveryMode[] = modeFlag === 'both' ? [...deliveryModes] : [modeFlag];
const config = loadConfig();
/** Seconds of offered load per slice of the p99-over-time line. */
const sliceSeconds = 10;
const stages = ['verify', 'normalize', 'enrich', 'route', 'sink'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Result {
  mode: DeliveryMode;
  offered: number;
  /** Why the others were not accepted: status → count, `error` for requests that got no answer. */
  refused: string;
  accepted: number;
  arrived: number;
  p50: number;
  p99: number;
  max: number;
  hops: Hop[];
  /** CPU µs per accepted event of each process while the load was offered, and the machine's busy share. */
  cpuPerEvent: Record<string, number>;
  machineBusy: number;
  /** Mean records per produce request of the ingress (its batch histogram). */
  ingressBatch: number;
  /** p99 of the events offered in each 10 s of the run, in order: a tail from a cold start shows in the first. */
  p99BySlice: number[];
  /** p99 of the events offered after the first 10 s: the warm chain, without its cold start. */
  p99Warm: number;
}

/** One topic on the way: when events reached it, counted from the 202 and from the topic before it. */
interface Hop {
  topic: string;
  sinceAccepted: Quantiles;
  sincePrevious: Quantiles;
  /** p99 since the topic before, of the events offered in each 10 s of the run. */
  p99BySlice: number[];
}
interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

/** The topics an upload passes, in order; the last is any priority topic. */
const route = [rawTopic('healthkit'), verifiedTopic('healthkit'), topics.events, topics.enriched, 'neuros.priority'] as const;
const hopOf = (topic: string): number => (topic.startsWith('neuros.priority.') ? route.length - 1 : route.indexOf(topic as (typeof route)[number]));

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Quantiles of `to[i] - from[i]` over the events (of `first` up to `end`) that have both. */
function spread(from: Float64Array, to: Float64Array, first = 0, end = from.length): Quantiles {
  const values: number[] = [];
  for (let i = first; i < end; i++) if (!Number.isNaN(from[i]!) && !Number.isNaN(to[i]!)) values.push(to[i]! - from[i]!);
  const sorted = Float64Array.from(values).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/** `measure` of the events offered in each `sliceSeconds` of the run, in order. */
function bySlice(total: number, measure: (first: number, end: number) => number): number[] {
  const perSlice = rate * sliceSeconds;
  return Array.from({ length: Math.ceil(total / perSlice) }, (_, slice) => measure(slice * perSlice, Math.min(total, (slice + 1) * perSlice)));
}

/** Leaves the reader's group, then ends its thread (at once if it has not left within 10 s). */
async function stopReader(reader: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => reader.once('exit', () => resolve()));
  reader.postMessage('stop');
  const timer = setTimeout(() => void reader.terminate(), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The ingress and the stages, a process each or (--one-process) all in one, with the pid each is billed by. */
async function startChain(env: Record<string, string>, ingressPort: number): Promise<{ processes: BridgeProcess[]; billed: Record<string, number | undefined> }> {
  const ingressEnv = { ...env, INGRESS_PORT: String(ingressPort) };
  if (oneProcess) {
    const all = startBridge(['run', 'all'], ingressEnv, await freePort());
    return { processes: [all], billed: { 'ingress and stages': all.child.pid } };
  }
  const processes = [startBridge(['run', 'ingress'], ingressEnv, ingressPort)];
  for (const stage of stages) processes.push(startBridge(['run', stage], env, await freePort()));
  return { processes, billed: { ingress: processes[0]!.child.pid, ...Object.fromEntries(stages.map((stage, i) => [stage, processes[i + 1]!.child.pid])) } };
}

async function runMode(mode: DeliveryMode): Promise<Result> {
  const prefix = `lat-${randomUUID().slice(0, 8)}`;
  const secret = randomBytes(24).toString('hex');
  // Every upload comes from 127.0.0.1, unlike vendors' many addresses: the per-address limit
  // (64 open requests) would answer the bench 429 whenever the chain falls behind.
  const env = { DELIVERY: mode, LOG_LEVEL: 'warn', HEALTHKIT_WEBHOOK_SECRETS: secret, INGRESS_MAX_CONNECTIONS_PER_SOURCE: '1000' };
  const ingressPort = await freePort();
  const { processes, billed } = await startChain(env, ingressPort);
  await Promise.all(processes.map((p) => p.waitReady(180_000)));

  const total = Math.round(rate * seconds);
  const acceptedAt = new Float64Array(total).fill(NaN);
  const arrivedAt = new Float64Array(total).fill(NaN);
  const reachedAt = route.map(() => new Float64Array(total).fill(NaN));
  const readTopics = [...(traceHops ? route.slice(0, -1) : []), ...priorities.map(priorityTopic)];
  const readerData: LatencyReaderData = { brokers: config.KAFKA_BROKERS, groupId: `bench.latency.${prefix}`, topics: readTopics, hops: readTopics.map(hopOf), prefix };
  const reader = new Worker(new URL('./support/latency-reader.ts', import.meta.url), { workerData: readerData });
  let arrived = 0;
  const joined = new Promise<void>((resolve, reject) => {
    reader.once('error', reject);
    reader.on('message', (message: ReaderMessage) => {
      if (message.kind === 'joined') return resolve();
      const last = message.hop === route.length - 1;
      for (const i of message.events) {
        if (Number.isNaN(reachedAt[message.hop]![i]!)) reachedAt[message.hop]![i] = message.at;
        if (last && Number.isNaN(arrivedAt[i]!)) {
          arrivedAt[i] = message.at;
          arrived++;
        }
      }
    });
  });
  await joined;
  console.log(`[${mode}] ingress and five stages ready; offering ${rate}/s for ${seconds} s`);

  const pids: Record<string, number | undefined> = { broker: runningPid('kafka'), ...billed };
  const cpuAtStart = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const benchAtStart = process.cpuUsage();
  const machineAtStart = machineCpu();
  // node:http with kept-alive sockets: the load generator shares the two cores with what it
  // measures, and fetch() cost it about three times the CPU per request.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (upload: ReturnType<typeof healthkitUpload>): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request({ agent, host: '127.0.0.1', port: ingressPort, path: '/webhooks/healthkit', method: 'POST', headers: { ...upload.headers, 'content-length': String(Buffer.byteLength(upload.body)) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      // A reset on a kept-alive connection the server was closing (the race an idle timeout shorter than the client's causes) is told apart.
      req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
      req.end(upload.body);
    });
  let accepted = 0;
  const refused = new Map<string, number>();
  const count = (why: string): void => {
    refused.set(why, (refused.get(why) ?? 0) + 1);
  };
  const sends: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    sends.push(
      post(healthkitUpload(prefix, i, secret))
        .then((status) => {
          if (status === 202) {
            acceptedAt[i] = nowMs();
            accepted++;
          } else count(String(status));
        })
        .catch((error: unknown) => count(`error ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}${(error as { reusedSocket?: boolean }).reusedSocket ? ' on a reused connection' : ''}`)),
    );
  }
  await Promise.all(sends);
  agent.destroy();
  const deadline = performance.now() + 60_000;
  while (arrived < accepted && performance.now() < deadline) await sleep(200);
  const ingressMetrics = await (await fetch(`http://127.0.0.1:${ingressPort}/metrics`)).text();
  const metric = (name: string) => {
    const line = ingressMetrics.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const ingressBatch = metric('ingress_produce_batch_records_sum') / metric('ingress_produce_batch_records_count');
  const benchUsed = process.cpuUsage(benchAtStart);
  const cpuPerEvent = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, ((cpuSeconds(pid) - cpuAtStart[name]!) * 1e6) / Math.max(1, accepted)]));
  cpuPerEvent['bench (load + reader)'] = (benchUsed.user + benchUsed.system) / Math.max(1, accepted);
  const machineAtEnd = machineCpu();
  const machineBusy = (machineAtEnd.busy - machineAtStart.busy) / Math.max(1, machineAtEnd.total - machineAtStart.total);
  await stopReader(reader);
  for (const p of processes) await p.stop(60_000);

  const latencies: number[] = [];
  for (let i = 0; i < total; i++) {
    const a = acceptedAt[i]!;
    const b = arrivedAt[i]!;
    // An event routed before its 202 reached the client counts as zero: it was already delivered.
    if (!Number.isNaN(a) && !Number.isNaN(b)) latencies.push(Math.max(0, b - a));
  }
  const sorted = Float64Array.from(latencies).sort();
  const p99BySlice = bySlice(total, (from, to) => spread(acceptedAt, arrivedAt, from, to).p99);
  const p99Warm = spread(acceptedAt, arrivedAt, Math.min(total, rate * sliceSeconds)).p99;
  const hops = route.map((topic, hop) => {
    const before = hop === 0 ? acceptedAt : reachedAt[hop - 1]!;
    return {
      topic: hop === route.length - 1 ? 'neuros.priority.*' : topic,
      sinceAccepted: spread(acceptedAt, reachedAt[hop]!),
      sincePrevious: spread(before, reachedAt[hop]!),
      p99BySlice: bySlice(total, (from, to) => spread(before, reachedAt[hop]!, from, to).p99),
    };
  });
  return { ingressBatch, p99BySlice, p99Warm, cpuPerEvent, machineBusy, hops, mode, offered: total, refused: [...refused].map(([why, n]) => `${why}: ${n}`).join(', ') || '-', accepted, arrived, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const created = startBridge(['topics', 'create'], {}, await freePort());
if ((await created.exited) !== 0) throw new Error(`bridge topics create failed: ${created.output()}`);
const results: Result[] = [];
for (const mode of modes) results.push(await runMode(mode));
console.log(`\nbench:latency — ${rate}/s offered for ${seconds} s through the ingress; ingress 202 → NEUROS reader of the priority topics`);
console.log(`| mode | offered | accepted | not accepted (why) | arrived | p50 | p99 | max | p99 after the first ${sliceSeconds} s | records per ingress produce request |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.mode} | ${r.offered} | ${r.accepted} | ${r.refused} | ${r.arrived} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${r.p99Warm.toFixed(1)} ms | ${r.ingressBatch.toFixed(1)} |`);
console.log(`\np99 of the events offered in each ${sliceSeconds} s, in order (ms):`);
for (const r of results) console.log(`| ${r.mode} | ${r.p99BySlice.map((p) => p.toFixed(0)).join(' | ')} |`);
const ms = (q: Quantiles) => `${q.p50.toFixed(1)} / ${q.p99.toFixed(1)} / ${q.max.toFixed(1)}`;
if (traceHops) console.log('\nWhere the time goes (ms, p50 / p99 / max; the raw topic is read against the 202, so it can be negative):');
if (traceHops) console.log('| mode | topic | since the 202 | since the topic before |\n|---|---|---|---|');
if (traceHops) for (const r of results) for (const h of r.hops) console.log(`| ${r.mode} | ${h.topic} | ${ms(h.sinceAccepted)} | ${ms(h.sincePrevious)} |`);
if (traceHops) console.log(`\np99 since the topic before, of the events offered in each ${sliceSeconds} s (ms):`);
if (traceHops) for (const r of results) for (const h of r.hops) console.log(`| ${r.mode} | ${h.topic} | ${h.p99BySlice.map((p) => p.toFixed(0)).join(' | ')} |`);
console.log('\nCPU µs per accepted event, from the first upload until the last event arrived (machine busy share in brackets):');
const names = Object.keys(results[0]!.cpuPerEvent);
console.log(`| mode | ${names.join(' | ')} |`);
console.log(`|---|${names.map(() => '---').join('|')}|`);
for (const r of results) console.log(`| ${r.mode} (${(r.machineBusy * 100).toFixed(0)} % busy) | ${names.map((n) => r.cpuPerEvent[n]!.toFixed(0)).join(' | ')} |`);
