// `npm run bench:push [-- --clients N] [-- --events E] [-- --rate R]`
//
// Routed → delivered latency of `bridge run push` with N WebSocket clients connected (default
// 5 000), each its own user. E events (default 2 000) are written to the priority topics at R per
// second (default 200), each for a random connected user, the way route writes them. For each: the
// record timestamp (routed) → its arrival at the client. Prints p50, p99, max and how many arrived.
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../src/config/index.ts';
import { priorities } from '../src/topics.ts';
import { freePort, startBridge } from '../test/integration/pipeline-support.ts';
import { routedWriter, userToken } from '../test/integration/push-support.ts';
import { countFlag } from './support/options.ts';

const clients = countFlag('clients', 5_000);
const events = countFlag('events', 2_000);
const rate = countFlag('rate', 200);
const config = loadConfig();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const secret = randomBytes(24).toString('hex');
const pushPort = await freePort();
const push = startBridge(['run', 'push'], { LOG_LEVEL: 'warn', PUSH_PORT: String(pushPort), PUSH_JWT_SECRETS: secret }, await freePort());
try {
  await push.waitReady(120_000);
  const prefix = `bench-push-${randomUUID().slice(0, 8)}`;
  const users = Array.from({ length: clients }, (_, i) => `${prefix}-${i}`);
  const latencies: number[] = [];
  let ready = 0;
  const sockets: WebSocket[] = [];
  // Connect in waves so the connection storm itself is not what is measured.
  for (let start = 0; start < users.length; start += 500) {
    await Promise.all(
      users.slice(start, start + 500).map(async (user) => {
        const socket = new WebSocket(`ws://127.0.0.1:${pushPort}/ws`, { headers: { authorization: `Bearer ${await userToken(secret, user)}` } });
        sockets.push(socket);
        socket.on('message', (data) => {
          const message = JSON.parse(String(data)) as { type: string; data: { routedAt?: number } };
          if (message.type === 'ready') ready += 1;
          else if (message.type === 'event' && message.data.routedAt !== undefined) latencies.push(Date.now() - message.data.routedAt);
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        });
      }),
    );
  }
  while (ready < clients) await sleep(100);
  console.log(`${clients} clients connected and ready`);

  const kafka = new Kafka({ clientId: prefix, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const writer = routedWriter(kafka);
  await writer.connect();
  const started = Date.now();
  for (let i = 0; i < events; i++) {
    const due = started + (i * 1_000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    await writer.write(users[Math.floor(Math.random() * users.length)]!, priorities[i % priorities.length]!);
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < events && Date.now() < deadline) await sleep(100);
  await writer.disconnect();
  for (const socket of sockets) socket.terminate();

  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`clients ${clients}, events ${events} at ${rate}/s, arrived ${latencies.length}`);
  console.log(`routed → delivered ms: p50 ${quantile(sorted, 0.5)}, p99 ${quantile(sorted, 0.99)}, max ${sorted.at(-1) ?? NaN} (target p99 ≤ 100)`);
} finally {
  await push.stop();
}
