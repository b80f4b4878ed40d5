// `npm run bench:latency [-- --rate R] [-- --seconds S] [-- --mode at-least-once|exactly-once|both]`
//
// End-to-end latency under a steady load, as NEUROS sees it: signed HealthKit uploads offered at
// R per second (default 1 000) for S seconds (default 60) through the ingress, with the ingress and
// every stage as its own process on the native stack. For each event: the ingress's 202 → the
// routed record's arrival at a reader of the priority topics (read_committed). Prints p50, p99 and
// max per delivery mode, plus how many events arrived and how many requests were not accepted.
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { deliveryModes, loadConfig, type DeliveryMode } from '../src/config/index.ts';
import { priorities, priorityTopic } from '../src/topics.ts';
import { freePort, startBridge, type BridgeProcess } from '../test/integration/pipeline-support.ts';
import { eventUser, healthkitUpload } from './support/signed-load.ts';

const flag = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const rate = Number(flag('rate') ?? 1_000);
const seconds = Number(flag('seconds') ?? 60);
const modeFlag = flag('mode') ?? 'both';
if (modeFlag !== 'both' && !(deliveryModes as readonly string[]).includes(modeFlag)) throw new Error(`--mode must be both, ${deliveryModes.join(' or ')}`);
const modes: DeliveryMode[] = modeFlag === 'both' ? [...deliveryModes] : [modeFlag as DeliveryMode];
const config = loadConfig();
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
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function runMode(mode: DeliveryMode): Promise<Result> {
  const prefix = `lat-${randomUUID().slice(0, 8)}`;
  const secret = randomBytes(24).toString('hex');
  // Every upload comes from 127.0.0.1, unlike vendors' many addresses: the per-address limit
  // (64 open requests) would answer the bench 429 whenever the chain falls behind.
  const env = { DELIVERY: mode, LOG_LEVEL: 'warn', HEALTHKIT_WEBHOOK_SECRETS: secret, INGRESS_MAX_CONNECTIONS_PER_SOURCE: '1000' };
  const ingressPort = await freePort();
  const processes: BridgeProcess[] = [startBridge(['run', 'ingress'], { ...env, INGRESS_PORT: String(ingressPort) }, ingressPort)];
  for (const stage of stages) processes.push(startBridge(['run', stage], env, await freePort()));
  await Promise.all(processes.map((p) => p.waitReady(180_000)));

  const total = Math.round(rate * seconds);
  const acceptedAt = new Float64Array(total).fill(NaN);
  const arrivedAt = new Float64Array(total).fill(NaN);
  const kafka = new Kafka({ clientId: `bench-latency-${prefix}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const reader = kafka.consumer({ groupId: `bench.latency.${prefix}`, maxWaitTimeInMs: 50 });
  await reader.connect();
  await reader.subscribe({ topics: priorities.map(priorityTopic), fromBeginning: false });
  const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
  let arrived = 0;
  await reader.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const message of batch.messages) {
        const key = message.key?.toString();
        if (!key?.startsWith(prefix)) continue;
        const i = Number(key.slice(prefix.length + 1));
        if (Number.isNaN(arrivedAt[i]!)) {
          arrivedAt[i] = now;
          arrived++;
        }
      }
    },
  });
  await joined;
  console.log(`[${mode}] ingress and five stages ready; offering ${rate}/s for ${seconds} s`);

  const url = `http://127.0.0.1:${ingressPort}/webhooks/healthkit`;
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
    const upload = healthkitUpload(prefix, i, secret);
    sends.push(
      fetch(url, { method: 'POST', body: upload.body, headers: upload.headers })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 202) {
            acceptedAt[i] = performance.now();
            accepted++;
          } else count(String(res.status));
        })
        .catch((error: unknown) => count(`error ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name}`)),
    );
  }
  await Promise.all(sends);
  const deadline = performance.now() + 60_000;
  while (arrived < accepted && performance.now() < deadline) await sleep(200);
  await reader.disconnect();
  for (const p of processes) await p.stop(60_000);

  const latencies: number[] = [];
  for (let i = 0; i < total; i++) {
    const a = acceptedAt[i]!;
    const b = arrivedAt[i]!;
    // An event routed before its 202 reached the client counts as zero: it was already delivered.
    if (!Number.isNaN(a) && !Number.isNaN(b)) latencies.push(Math.max(0, b - a));
  }
  const sorted = Float64Array.from(latencies).sort();
  return { mode, offered: total, refused: [...refused].map(([why, n]) => `${why}: ${n}`).join(', ') || '-', accepted, arrived, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}

const created = startBridge(['topics', 'create'], {}, await freePort());
if ((await created.exited) !== 0) throw new Error(`bridge topics create failed: ${created.output()}`);
const results: Result[] = [];
for (const mode of modes) results.push(await runMode(mode));
console.log(`\nbench:latency — ${rate}/s offered for ${seconds} s through the ingress; ingress 202 → NEUROS reader of the priority topics`);
console.log('| mode | offered | accepted | not accepted (why) | arrived | p50 | p99 | max |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.mode} | ${r.offered} | ${r.accepted} | ${r.refused} | ${r.arrived} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms |`);
