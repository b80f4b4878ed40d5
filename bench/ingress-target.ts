// The server side of `npm run bench:ingress`, in its own process so the load generator does not
// share its CPU: `bare` is a node:http handler that reads the body and answers 202 (the ceiling),
// `ingress` is the real ingress writing every request to Kafka with acks=all.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createIngress, createKafkaRawSink, ingressSettings } from '../src/ingress/index.ts';
import { createLogger } from '../src/obs/logger.ts';

const [mode = 'ingress', topic = 'raw.whoop'] = process.argv.slice(2);
const config = loadConfig();

if (mode === 'bare') {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.stringify({ id: randomUUID() });
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
} else {
  const kafka = new Kafka({ clientId: 'bench-ingress', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  // Access logs on, as in production, written where they cost the same but do not flood the terminal.
  const logger = createLogger({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const ingress = createIngress({
    ...ingressSettings(config),
    port: 0,
    maxInFlight: 1_000,
    sink: createKafkaRawSink({ kafka, timeoutMs: config.INGRESS_KAFKA_TIMEOUT_MS }),
    logger,
    version: 'bench',
    rawTopic: () => topic,
  });
  const { port } = await ingress.listen();
  console.log(JSON.stringify({ port }));
  process.on('SIGTERM', () => void ingress.close().then(() => process.exit(0)));
}
