import { Worker } from 'node:worker_threads';
import type { Message } from 'kafkajs';
import type { Logger } from '../obs/logger.ts';
import type { BreakerState } from '../obs/breaker-state.ts';
import { RecordTooLargeError, SinkUnavailableError, type RawSink } from './raw-sink.ts';
import type { FromKafkaThread, RawSinkThreadData, ThreadRecord, ToKafkaThread } from './raw-sink-thread.ts';

export interface ThreadedRawSinkOptions extends RawSinkThreadData {
  readonly log: Logger;
  readonly onBatch?: (size: number) => void;
  readonly onBreakerStateChange?: (state: BreakerState) => void;
  readonly onProducerReplaced?: (reason: string) => void;
}

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The raw sink on a thread of its own (`raw-sink-worker.ts`): the HTTP thread only copies each
 * turn's bodies into one buffer and posts it, and settles requests from the answers. Same
 * contract as `createKafkaRawSink`: resolves after acks=all, rejects with SinkUnavailableError or
 * RecordTooLargeError. If the thread dies, its requests are answered 503 and a new one starts.
 */
export function createThreadedRawSink(options: ThreadedRawSinkOptions): RawSink {
  const { log, onBatch, onBreakerStateChange, onProducerReplaced, ...data } = options;
  const waiting = new Map<number, Waiting>();
  let nextId = 0;
  let ready = false;
  let closing = false;
  let connected: { resolve: () => void; reject: (error: Error) => void } | undefined;
  let disconnected: (() => void) | undefined;
  let queued: Array<{ id: number; topic: string; message: Message }> = [];
  let flushScheduled = false;

  const start = (): Worker => {
    const thread = new Worker(new URL('./raw-sink-worker.ts', import.meta.url), { workerData: data satisfies RawSinkThreadData });
    thread.on('message', (message: FromKafkaThread) => {
      switch (message.type) {
        case 'settled':
          for (const id of message.acknowledged) take(id)?.resolve();
          for (const failure of message.failed) {
            const error =
              failure.kind === 'too-large' ? new RecordTooLargeError(failure.bytes, failure.limitBytes) : new SinkUnavailableError(failure.reason, failure.retryAfterSeconds);
            take(failure.id)?.reject(error);
          }
          break;
        case 'ready':
          ready = message.ready;
          break;
        case 'batches':
          if (onBatch) for (const size of message.sizes) onBatch(size);
          break;
        case 'breaker':
          onBreakerStateChange?.(message.state);
          break;
        case 'replaced':
          onProducerReplaced?.(message.reason);
          break;
        case 'connected':
          ready = true;
          connected?.resolve();
          connected = undefined;
          break;
        case 'connect-failed':
          connected?.reject(new Error(message.message));
          connected = undefined;
          break;
        case 'disconnected':
          disconnected?.();
          break;
      }
    });
    thread.on('error', (error) => log.error({ error: error.message }, 'ingress kafka thread failed'));
    thread.on('exit', (code) => {
      ready = false;
      const failure = new SinkUnavailableError('send_failed', 1);
      for (const [id, wait] of waiting) {
        waiting.delete(id);
        wait.reject(failure);
      }
      if (closing) {
        disconnected?.();
        return;
      }
      log.error({ code }, 'ingress kafka thread exited; starting another');
      worker = start();
      post({ type: 'connect' });
    });
    return thread;
  };

  const take = (id: number): Waiting | undefined => {
    const wait = waiting.get(id);
    waiting.delete(id);
    return wait;
  };

  const post = (message: ToKafkaThread, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);

  // One copy per turn: every body read in this turn into one buffer, transferred, not cloned.
  const flush = () => {
    flushScheduled = false;
    const batch = queued;
    queued = [];
    let bytes = 0;
    for (const { message } of batch) bytes += (message.value as Buffer).length;
    const bodies = new ArrayBuffer(bytes);
    const view = new Uint8Array(bodies);
    const records: ThreadRecord[] = [];
    let at = 0;
    for (const { id, topic, message } of batch) {
      const value = message.value as Buffer;
      view.set(value, at);
      records.push({ id, topic, start: at, end: at + value.length, headers: message.headers as Record<string, string>, timestamp: message.timestamp });
      at += value.length;
    }
    post({ type: 'send', bodies, records }, [bodies]);
  };

  let worker = start();

  return {
    send(topic, message) {
      if (!Buffer.isBuffer(message.value)) return Promise.reject(new TypeError('a raw record carries its body as a Buffer'));
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        queued.push({ id, topic, message });
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    ready: () => ready,
    connect() {
      return new Promise<void>((resolve, reject) => {
        connected = { resolve, reject };
        post({ type: 'connect' });
      });
    },
    async disconnect() {
      closing = true;
      await new Promise<void>((resolve) => {
        disconnected = resolve;
        post({ type: 'disconnect' });
      });
      await worker.terminate();
    },
  };
}
