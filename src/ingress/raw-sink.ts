import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
} from 'cockatiel';
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';

/** What ingress needs from Kafka: one durable write per request, and whether writes can succeed. */
export interface RawSink {
  /** Resolves once the record is acknowledged by all in-sync replicas; rejects with `SinkUnavailableError`. */
  send(topic: string, message: Message): Promise<void>;
  ready(): boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Kafka could not take the record in time, or the breaker is open: answer 503, the vendor retries. */
export class SinkUnavailableError extends Error {
  constructor(
    readonly kind: 'timeout' | 'breaker_open' | 'send_failed',
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(`kafka unavailable (${kind})`, options);
    this.name = 'SinkUnavailableError';
  }
}

export interface KafkaRawSinkOptions {
  readonly kafka: Kafka;
  /** Longest a request waits for its ack, in ms; afterwards it gets 503. */
  readonly timeoutMs: number;
  /** Consecutive failed batches that open the breaker. */
  readonly breakerFailures?: number;
  /** How long the open breaker rejects before letting one batch probe Kafka, in ms. */
  readonly halfOpenAfterMs?: number;
  /** Upper bound of records in one produce request. */
  readonly maxBatch?: number;
  readonly onBatch?: (size: number) => void;
  readonly onError?: (kind: SinkUnavailableError['kind']) => void;
}

interface Pending {
  readonly topic: string;
  readonly message: Message;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A Kafka sink that coalesces concurrent requests into one produce request. The idempotent
 * producer keeps one request in flight, so while a batch waits for its ack the next one gathers
 * every request that arrives meanwhile: no timer adds latency when idle, and under load one
 * round trip carries a hundred records.
 *
 * Bounded waits: each batch runs under a timeout inside a circuit breaker. A batch that times out
 * answers its requests 503 even though kafkajs may still deliver it later; the vendor then
 * retries and verify's replay guard drops the second copy, so a 503 never loses data and a 202
 * is only ever given after the ack.
 */
export function createKafkaRawSink(options: KafkaRawSinkOptions): RawSink {
  const maxBatch = options.maxBatch ?? 500;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 10_000; // ten seconds
  const retryAfterSeconds = Math.max(1, Math.ceil(halfOpenAfterMs / 1000));
  const producer: Producer = options.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures ?? 5),
  });
  const batchPolicy = wrap(breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  const requestTimeout = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  let connected = false;
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  let flushing = false;
  let queue: Pending[] = [];
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));

  const unavailable = (error: unknown): SinkUnavailableError => {
    if (error instanceof SinkUnavailableError) return error;
    const kind = error instanceof BrokenCircuitError ? 'breaker_open' : error instanceof TaskCancelledError ? 'timeout' : 'send_failed';
    return new SinkUnavailableError(kind, retryAfterSeconds, { cause: error });
  };

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      const byTopic = new Map<string, Message[]>();
      for (const item of batch) {
        const messages = byTopic.get(item.topic);
        if (messages) messages.push(item.message);
        else byTopic.set(item.topic, [item.message]);
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      options.onBatch?.(batch.length);
      try {
        await batchPolicy.execute(() => producer.sendBatch({ topicMessages, acks: -1 }));
        for (const item of batch) item.resolve();
      } catch (error) {
        const failure = unavailable(error);
        options.onError?.(failure.kind);
        for (const item of batch) item.reject(failure);
      }
    }
    flushing = false;
  }

  return {
    async send(topic, message) {
      // No early check of breaker.state here: cockatiel moves an open breaker to half-open only
      // when a call is attempted, so every batch goes through it (an open breaker fails at once).
      const acked = new Promise<void>((resolve, reject) => queue.push({ topic, message, resolve, reject }));
      // Wait one turn of the event loop so every request already read joins the same batch.
      if (!flushing) setImmediate(() => void (flushing ? undefined : flush()));
      try {
        await requestTimeout.execute(() => acked);
      } catch (error) {
        throw unavailable(error);
      }
    },
    // Ready while the breaker is closed, or open but due for its half-open probe.
    ready: () => connected && (breaker.state !== CircuitState.Open || Date.now() >= openedAt + halfOpenAfterMs),
    connect: () => producer.connect(),
    async disconnect() {
      while (flushing || queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await producer.disconnect();
    },
  };
}
