// `npm run bench:ingress [-- --duration 30 --connections 100]`: signed ~1 KB webhook bodies
// against a bare node:http handler (the ceiling) and the real ingress (202 after Kafka's ack),
// one after the other in the same run. Prints req/s, p50/p95/p99 latency and errors for both.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../src/config/index.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '100' },
    partitions: { type: 'string', default: '3' },
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

async function startTarget(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./ingress-target.ts', import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const parsed = JSON.parse(line) as { port?: number };
    if (parsed.port) return { child, port: parsed.port };
  }
  throw new Error(`bench target ${args.join(' ')} exited before listening`);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(name: string, port: number, path: string) {
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
  const result = await done;
  latencies.sort((a, b) => a - b);
  const accepted = statuses.get(202) ?? 0;
  return {
    name,
    'req/s': Math.round(latencies.length / duration),
    '202/s': Math.round(accepted / duration),
    'p50 ms': percentile(latencies, 50),
    'p95 ms': percentile(latencies, 95),
    'p99 ms': percentile(latencies, 99),
    errors: result.errors + result.timeouts,
    non202: latencies.length - accepted,
  };
}

const topic = `bench.raw.whoop-${randomUUID().slice(0, 8)}`;
const kafka = new Kafka({ clientId: 'bench', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: Number(values.partitions) }] });

console.log(`bench:ingress — ${connections} connections, ${duration} s each, ~1 KB signed WHOOP bodies, topic ${topic}`);
const results = [];
for (const [name, args, path] of [
  ['bare node:http (ceiling)', ['bare'], '/webhooks/whoop'],
  ['ingress (202 after acks=all)', ['ingress', topic], `${config.INGRESS_BASE_PATH}/webhooks/whoop`],
] as const) {
  const target = await startTarget([...args]);
  try {
    results.push(await load(name, target.port, path));
  } finally {
    target.child.kill('SIGTERM');
    await new Promise((resolve) => target.child.once('exit', resolve));
  }
}
console.table(results);
const [bare, ingress] = results;
if (bare && ingress) console.log(`ingress throughput is ${Math.round((100 * ingress['202/s']) / bare['req/s'])} % of the bare node:http ceiling`);
const offsets = await admin.fetchTopicOffsets(topic);
console.log(`records on ${topic}: ${offsets.reduce((sum, p) => sum + Number(p.high), 0)}`);
await admin.deleteTopics({ topics: [topic] });
await admin.disconnect();
