// `npm run bench:ingress [-- --duration 30 --connections 100]`: signed ~1 KB webhook bodies
// against a bare node:http handler (the ceiling) and the real ingress (202 after Kafka's ack),
// one after the other in the same run. Prints req/s, p50/p95/p99 latency and errors for both.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { runningPid } from '../src/cli/stack/processes.ts';
import { loadConfig } from '../src/config/index.ts';
import { cpuSeconds, machineCpu } from './support/process-cpu.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '3' },
    /** Idempotent producers in the ingress's pool. */
    producers: { type: 'string', default: '3' },
    /** Access log mode of the ingress target (see src/ingress/access-log.ts); 'off' measures its cost. */
    'access-log': { type: 'string', default: 'default' },
    /** Also run the ingress with a sink that acks at once: the HTTP side's own ceiling. */
    'no-kafka': { type: 'boolean', default: false },
    /** Also run the ingress with its Kafka sink in a worker thread (bench/support/threaded-raw-sink.ts). */
    'threaded-sink': { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const config = loadConfig();

/** 1000 distinct WHOOP deliveries of ~1 KB, signed as WHOOP signs them. */
function signedRequests() {
  const secret = config.WHOOP_WEBHOOK_SECRETS[0] ?? 'bench-secret';
  return Array.from({ length: 1_000 }, (_, i) => {
    const body = JSON.stringify({
      user_id: 10_000 + i,
      id: randomUUID(),
      type: 'sleep.updated',
      trace_id: randomUUID(),
      padding: 'x'.repeat(880),
    });
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', secret).update(timestamp + body).digest('base64');
    return { body, headers: { 'content-type': 'application/json', 'x-whoop-signature': signature, 'x-whoop-signature-timestamp': timestamp } };
  });
}

/** What the ingress target prints on exit: the 202s it sent. */
interface Summary {
  accepted?: number;
}

/** Starts a target; `summary` resolves with what it prints on exit (the ingress: its 202 count). */
async function startTarget(args: string[]): Promise<{ child: ChildProcess; port: number; summary: Promise<Summary> }> {
  // STAGE_NODE_ARGS: Node.js flags for the target, as for the stages of the other benchmarks (e.g. --cpu-prof).
  const nodeArgs = process.env['STAGE_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, new URL('./ingress-target.ts', import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  for (let line = await lines.next(); !line.done; line = await lines.next()) {
    const parsed = JSON.parse(line.value) as { port?: number };
    if (parsed.port) {
      const summary = lines.next().then((last) => (last.done ? {} : (JSON.parse(last.value) as Summary)));
      return { child, port: parsed.port, summary };
    }
  }
  throw new Error(`bench target ${args.join(' ')} exited before listening`);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * CPU time while the load runs, split by who spent it: the target, this process (the load
 * generator), the broker, and the whole machine's busy share. All of them share the two cores, so
 * the target's throughput is bounded by the sum, not by its own cost.
 */
function cpuBill(targetPid: number | undefined) {
  const broker = runningPid('kafka');
  const at = { target: cpuSeconds(targetPid), broker: cpuSeconds(broker), self: process.cpuUsage(), machine: machineCpu() };
  return (answered: number) => {
    const self = process.cpuUsage(at.self);
    const machine = machineCpu();
    const perAnswer = (seconds: number) => Math.round((seconds * 1e6) / Math.max(1, answered));
    return {
      'target µs/req': perAnswer(cpuSeconds(targetPid) - at.target),
      'load µs/req': perAnswer((self.user + self.system) / 1e6),
      'broker µs/req': broker === undefined ? undefined : perAnswer(cpuSeconds(broker) - at.broker),
      'machine busy %': Math.round((100 * (machine.busy - at.machine.busy)) / Math.max(1, machine.total - at.machine.total)),
    };
  };
}

async function load(name: string, port: number, path: string, targetPid: number | undefined) {
  const requests = signedRequests();
  let next = 0;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let finished: (result: autocannon.Result) => void = () => {};
  let failed: (error: Error) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finished = resolve), (failed = reject)));
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (request) => {
          const r = requests[next++ % requests.length]!;
          return { ...request, body: r.body, headers: r.headers };
        },
      },
    ],
  }, (error, result) => (error ? failed(error) : finished(result)));
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
  });
  const bill = cpuBill(targetPid);
  const result = await done;
  const cpu = bill(latencies.length);
  latencies.sort((a, b) => a - b);
  const accepted = statuses.get(202) ?? 0;
  return {
    accepted,
    name,
    'req/s': Math.round(latencies.length / duration),
    '202/s': Math.round(accepted / duration),
    'p50 ms': percentile(latencies, 50),
    'p95 ms': percentile(latencies, 95),
    'p99 ms': percentile(latencies, 99),
    errors: result.errors + result.timeouts,
    non202: latencies.length - accepted,
    /** Status → count of the answers that were not 202, e.g. `503:120`. */
    statuses: [...statuses].filter(([status]) => status !== 202).map(([status, n]) => `${status}:${n}`).join(' ') || '-',
    ...cpu,
  };
}

const topic = `bench.raw.whoop-${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'bench', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: Number(values.partitions) }] });

console.log(
  `bench:ingress — ${connections} connections, ${duration} s each, ~1 KB signed WHOOP bodies, topic ${topic}, ` +
    `${values.producers} producers, access log ${values['access-log']}`,
);
const results = [];
// The targets that write to the topic: the 202s they sent and the ones the client saw.
let serverAccepted = 0;
let seen = 0;
for (const [name, args, path] of [
  ['bare node:http (ceiling)', ['bare'], '/webhooks/whoop'],
  ...(values['no-kafka'] ? [['ingress, sink acks at once (no Kafka)', ['ingress-no-kafka', topic, values.producers, values['access-log']], `${config.INGRESS_BASE_PATH}/webhooks/whoop`] as const] : []),
  ...(values['threaded-sink'] ? [['ingress, Kafka sink in a worker thread', ['ingress-threaded', topic, values.producers, values['access-log']], `${config.INGRESS_BASE_PATH}/webhooks/whoop`] as const] : []),
  ['ingress (202 after acks=all)', ['ingress', topic, values.producers, values['access-log']], `${config.INGRESS_BASE_PATH}/webhooks/whoop`],
] as const) {
  const target = await startTarget([...args]);
  try {
    const row = await load(name, target.port, path, target.child.pid);
    results.push(row);
    if (args[0] === 'ingress' || args[0] === 'ingress-threaded') seen += row.accepted;
  } finally {
    target.child.kill('SIGTERM');
    const summary = await target.summary;
    if (args[0] === 'ingress' || args[0] === 'ingress-threaded') serverAccepted += summary.accepted ?? NaN;
  }
}
console.table(results.map(({ accepted: _, ...row }) => row));
const bare = results[0];
const ingress = results.at(-1);
if (bare && ingress) console.log(`ingress throughput is ${Math.round((100 * ingress['202/s']) / bare['req/s'])} % of the bare node:http ceiling`);
// Every 202 must be on the topic. The ingress has drained and exited, so the high watermarks are
// final. It counts the 202s it sent; autocannon sees slightly fewer, because it drops the
// connections with requests still in flight when the duration ends (those were answered 202 too).
const offsets = await admin.fetchTopicOffsets(topic);
const records = offsets.reduce((sum, p) => sum + Number(p.high), 0);
const ok = records === serverAccepted && seen <= records;
console.log(`records on ${topic}: ${records}; 202s sent by the ingress: ${serverAccepted}; 202s seen by the client: ${seen} → ${ok ? 'every 202 is on the topic' : 'MISMATCH'}`);
if (!ok) process.exitCode = 1;
await admin.deleteTopics({ topics: [topic] });
await admin.disconnect();
