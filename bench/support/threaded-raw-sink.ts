// The ingress's Kafka write in a worker thread (issue 11, item 5: keep the HTTP event loop free of
// Kafka encoding): `bench:ingress --threaded-sink` measures it against the sink on the event loop.
// The main thread hands each turn's records to the worker in one message; the worker runs the
// same `createKafkaRawSink` and answers each turn's settled records in one message.
import { Worker } from 'node:worker_threads';
import type { Message } from 'kafkajs';
import { RecordTooLargeError, SinkUnavailableError, type RawSink } from '../../src/ingress/index.ts';

/** A record as it crosses to the worker: id, topic, value's length (-1: null), headers, timestamp. */
export type Outgoing = [number, string, number, Record<string, string>, string | undefined];
/** A record's answer: id, then nothing (acknowledged), or how it failed. */
export type Settled = [number] | [number, 'too_large', number, number] | [number, SinkUnavailableError['kind'], number];
export type FromWorker = { connected: true } | { disconnected: true } | { settled: Settled[]; ready: boolean };
/** A turn's records; their values one after another in `values` (transferred, not copied). */
export type ToWorker = { connect: true } | { disconnect: true } | { records: Outgoing[]; values: ArrayBuffer };

export interface ThreadedRawSinkOptions {
  readonly brokers: readonly string[];
  readonly timeoutMs: number;
  readonly halfOpenAfterMs: number;
  readonly producers: number;
}

export function createThreadedRawSink(options: ThreadedRawSinkOptions): RawSink {
  const worker = new Worker(new URL('./raw-sink-worker.ts', import.meta.url), { workerData: options });
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let outbox: Outgoing[] = [];
  let outValues: Buffer[] = [];
  let outBytes = 0;
  let ready = false;
  let connected: (() => void) | undefined;
  let disconnected: (() => void) | undefined;

  worker.on('message', (message: FromWorker) => {
    if ('connected' in message) return connected?.();
    if ('disconnected' in message) return disconnected?.();
    ready = message.ready;
    for (const answer of message.settled) {
      const waiter = pending.get(answer[0]);
      if (!waiter) continue;
      pending.delete(answer[0]);
      if (answer.length === 1) waiter.resolve();
      else if (answer[1] === 'too_large') waiter.reject(new RecordTooLargeError(answer[2], answer[3]));
      else waiter.reject(new SinkUnavailableError(answer[1], answer[2]));
    }
  });
  // With the worker gone, nothing it holds will be answered: those requests fail as in a Kafka outage (503).
  worker.on('error', (error) => {
    ready = false;
    for (const waiter of pending.values()) waiter.reject(new SinkUnavailableError('send_failed', 1, { cause: error }));
    pending.clear();
  });
  // A Buffer's structured clone copies its whole backing store, and request bodies are slices of
  // Node's shared 8 KiB pool: the turn's values are packed into one buffer that is moved instead.
  const flush = () => {
    const values = new ArrayBuffer(outBytes);
    const packed = Buffer.from(values);
    let at = 0;
    for (const value of outValues) at += value.copy(packed, at);
    const records = outbox;
    outbox = [];
    outValues = [];
    outBytes = 0;
    worker.postMessage({ records, values } satisfies ToWorker, [values]);
  };

  return {
    send(topic: string, message: Message) {
      return new Promise<void>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        const value = message.value === null || message.value === undefined ? null : Buffer.isBuffer(message.value) ? message.value : Buffer.from(message.value);
        // One message per turn of the event loop, as the sink itself batches a turn's requests.
        if (outbox.length === 0) setImmediate(flush);
        if (value) {
          outValues.push(value);
          outBytes += value.length;
        }
        outbox.push([id, topic, value ? value.length : -1, message.headers as Record<string, string>, message.timestamp]);
      });
    },
    ready: () => ready,
    connect: () =>
      new Promise<void>((resolve, reject) => {
        connected = resolve;
        worker.once('error', reject);
        worker.postMessage({ connect: true } satisfies ToWorker);
      }),
    disconnect: () =>
      new Promise<void>((resolve) => {
        disconnected = resolve;
        worker.postMessage({ disconnect: true } satisfies ToWorker);
      }).then(() => worker.terminate().then(() => undefined)),
  };
}
