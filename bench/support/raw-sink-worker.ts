// The worker side of `threaded-raw-sink.ts`: the ingress's Kafka sink on its own event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaRawSink, RecordTooLargeError, SinkUnavailableError } from '../../src/ingress/index.ts';
import type { FromWorker, Settled, ThreadedRawSinkOptions, ToWorker } from './threaded-raw-sink.ts';

const options = workerData as ThreadedRawSinkOptions;
const kafka = new Kafka({ clientId: 'bench-ingress-worker', brokers: [...options.brokers], logLevel: logLevel.NOTHING });
const sink = createKafkaRawSink({ kafka, timeoutMs: options.timeoutMs, halfOpenAfterMs: options.halfOpenAfterMs, producers: options.producers });
const port = parentPort!;
let settled: Settled[] = [];

const answer = () => {
  const batch = settled;
  settled = [];
  port.postMessage({ settled: batch, ready: sink.ready() } satisfies FromWorker);
};
const push = (item: Settled) => {
  if (settled.length === 0) setImmediate(answer);
  settled.push(item);
};

port.on('message', async (message: ToWorker) => {
  if ('connect' in message) {
    await sink.connect();
    port.postMessage({ connected: true } satisfies FromWorker);
    port.postMessage({ settled: [], ready: sink.ready() } satisfies FromWorker);
    return;
  }
  if ('disconnect' in message) {
    await sink.disconnect();
    port.postMessage({ disconnected: true } satisfies FromWorker);
    return;
  }
  let at = 0;
  for (const [id, topic, length, headers, timestamp] of message.records) {
    const bytes = length < 0 ? null : Buffer.from(message.values, at, length);
    at += Math.max(0, length);
    sink.send(topic, { key: null, value: bytes, headers, ...(timestamp === undefined ? {} : { timestamp }) }).then(
      () => push([id]),
      (error: unknown) => {
        if (error instanceof RecordTooLargeError) push([id, 'too_large', error.bytes, error.limitBytes]);
        else if (error instanceof SinkUnavailableError) push([id, error.kind, error.retryAfterSeconds]);
        else push([id, 'send_failed', 1]);
      },
    );
  }
});
