/**
 * The ingress's Kafka thread: the raw sink (batching, idempotent producers, breaker, deadlines)
 * runs here, so encoding produce requests and reading acks never hold up the HTTP thread's
 * parsing of the next requests. Started by `createThreadedRawSink`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import type { Level } from 'pino';
import { createLogger } from '../obs/logger.ts';
import { kafkaLogs } from '../obs/kafka-log.ts';
import { createKafkaRawSink, RecordTooLargeError, SinkUnavailableError } from './raw-sink.ts';
import type { FromKafkaThread, RawSinkThreadData, ThreadFailure, ToKafkaThread } from './raw-sink-thread.ts';

const data = workerData as RawSinkThreadData;
const port = parentPort!;
const post = (message: FromKafkaThread) => port.postMessage(message);
const log = createLogger({ level: data.logLevel as Level, name: 'ingress-kafka' });
const kafka = new Kafka({ clientId: data.clientId, brokers: [...data.brokers], logLevel: logLevel.WARN, logCreator: kafkaLogs(log) });

let sizes: number[] = [];
const sink = createKafkaRawSink({
  kafka,
  timeoutMs: data.timeoutMs,
  halfOpenAfterMs: data.halfOpenAfterMs,
  producers: data.producers,
  lingerMs: data.lingerMs,
  maxRecordBytes: data.maxRecordBytes,
  onBatch: (size) => sizes.push(size),
  onBreakerStateChange: (state) => post({ type: 'breaker', state }),
  onProducerReplaced: (reason) => post({ type: 'replaced', reason }),
});

// Answers go back once per turn of the event loop, like the requests came.
let acknowledged: number[] = [];
let failed: ThreadFailure[] = [];
let flushScheduled = false;
let lastReady: boolean | undefined;

function reportReady(): void {
  const ready = sink.ready();
  if (ready !== lastReady) post({ type: 'ready', ready });
  lastReady = ready;
}

function flush(): void {
  flushScheduled = false;
  if (acknowledged.length > 0 || failed.length > 0) post({ type: 'settled', acknowledged, failed });
  if (sizes.length > 0) post({ type: 'batches', sizes });
  acknowledged = [];
  failed = [];
  sizes = [];
  reportReady();
}

function settled(id: number, error?: unknown): void {
  if (error === undefined) acknowledged.push(id);
  else if (error instanceof RecordTooLargeError) failed.push({ id, kind: 'too-large', bytes: error.bytes, limitBytes: error.limitBytes });
  else {
    const reason = error instanceof SinkUnavailableError ? error.kind : 'send_failed';
    const retryAfterSeconds = error instanceof SinkUnavailableError ? error.retryAfterSeconds : 1;
    failed.push({ id, kind: 'unavailable', reason, retryAfterSeconds });
  }
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

// The breaker's open state ends by time, not by an event: look again a few times a second.
setInterval(reportReady, 200).unref();

port.on('message', (message: ToKafkaThread) => {
  if (message.type === 'send') {
    const bodies = Buffer.from(message.bodies);
    for (const record of message.records) {
      const value = bodies.subarray(record.start, record.end);
      sink.send(record.topic, { key: null, value, headers: record.headers, ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }) }).then(
        () => settled(record.id),
        (error: unknown) => settled(record.id, error),
      );
    }
  } else if (message.type === 'connect') {
    sink.connect().then(
      () => {
        post({ type: 'connected' });
        reportReady();
      },
      (error: unknown) => post({ type: 'connect-failed', message: error instanceof Error ? error.message : String(error) }),
    );
  } else {
    sink.disconnect().finally(() => {
      flush();
      post({ type: 'disconnected' });
    });
  }
});
