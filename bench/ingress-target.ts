// The server side of `npm run bench:ingress`, in its own process so the load generator does not
// share its CPU: `bare` is a node:http handler that reads the body and answers 202 (the ceiling),
// `ingress` is the real ingress writing every request to Kafka with acks=all.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createIngress, createKafkaRawSink, ingressSettings, type RawSink } from '../src/ingress/index.ts';
import { createLogger } from '../src/obs/logger.ts';
import { createThreadedRawSink } from './support/threaded-raw-sink.ts';

const [mode = 'ingress', topic = 'raw.whoop', producers = '3', accessLog = 'default'] = process.argv.slice(2);
const config = loadConfig();

/** `ingress-no-kafka`: acks each record on the next turn, to show what the HTTP side costs alone. */
function acknowledgingSink(): RawSink {
  return {
    send: () => new Promise((resolve) => setImmediate(resolve)),
    ready: () => true,
    connect: async () => {},
    disconnect: async () => {},
  };
}

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
  // `all` logs every success at info (the old default), `off` none (a warn-level logger).
  const logger = createLogger({ level: accessLog === 'off' ? 'warn' : 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  const sinkOf = (mode: string): RawSink => {
    const settings = { timeoutMs: config.INGRESS_KAFKA_TIMEOUT_MS, halfOpenAfterMs: config.INGRESS_BREAKER_HALF_OPEN_MS, producers: Number(producers) };
    if (mode === 'ingress-no-kafka') return acknowledgingSink();
    if (mode === 'ingress-threaded') return createThreadedRawSink({ ...settings, brokers: config.KAFKA_BROKERS });
    return createKafkaRawSink({ kafka, ...settings });
  };
  const ingress = createIngress({
    ...ingressSettings(config),
    port: 0,
    maxInFlight: 1_000,
    // Every bench connection comes from 127.0.0.1; in production they come from many vendors'
    // addresses. At the default (64) the 100 connections would meet 429s that close connections.
    maxConnectionsPerSource: 1_000,
    sink: sinkOf(mode),
    logger,
    version: 'bench',
    rawTopic: () => topic,
    ...(accessLog === 'all' ? { accessLogSampleEvery: 1 } : {}),
  });
  const { port } = await ingress.listen();
  console.log(JSON.stringify({ port }));
  process.on('SIGTERM', async () => {
    await ingress.close();
    // The 202s this process sent, for the bench to compare with the records on the topic.
    const { values } = await ingress.metrics.events.get();
    const accepted = values.filter((v) => v.labels.status === '202').reduce((sum, v) => sum + v.value, 0);
    console.log(JSON.stringify({ accepted }));
    process.exit(0);
  });
}
