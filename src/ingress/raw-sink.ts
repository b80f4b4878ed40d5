import { onBreakerState, type BreakerState } from '../obs/breaker-state.ts';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, TaskCancelledError, circuitBreaker, handleWhen } from 'cockatiel';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { raceTimeout } from '../streams/awaitable.ts';
import { tooLargeError } from '../streams/producer-errors.ts';
import { ReplaceableProducer } from '../streams/replaceable-producer.ts';
import { recordBytes } from '../streams/record-bytes.ts';

/** What ingress needs from Kafka: one durable write per request, and whether writes can succeed. */
export interface RawSink {
  /**
   * Resolves once the record is acknowledged by all in-sync replicas; rejects with
   * `SinkUnavailableError` (retry later) or `RecordTooLargeError` (never storable).
   */
  send(topic: string, message: Message): Promise<void>;
  ready(): boolean;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Kafka could not take the record in time, or the breaker is open: answer 503, the vendor retries. */
export class SinkUnavailableError extends Error {
  readonly kind: 'timeout' | 'breaker_open' | 'send_failed';
  readonly retryAfterSeconds: number;
  constructor(kind: SinkUnavailableError['kind'], retryAfterSeconds: number, options?: ErrorOptions) {
    super(`kafka unavailable (${kind})`, options);
    this.name = 'SinkUnavailableError';
    this.kind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The record can never be stored: larger than the raw topic accepts. Answer 413, the vendor must not retry. */
export class RecordTooLargeError extends Error {
  readonly bytes: number;
  readonly limitBytes: number;
  constructor(bytes: number, limitBytes: number, options?: ErrorOptions) {
    super(`record of ${bytes} bytes (body and headers) is larger than the raw topic accepts (${limitBytes} bytes)`, options);
    this.name = 'RecordTooLargeError';
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}

export interface KafkaRawSinkOptions {
  /** Only `producer()` is used, so tests can hand in a small fake. */
  readonly kafka: Pick<Kafka, 'producer'>;
  /** Longest a request waits for its ack, in ms, counted from `send`; afterwards it gets 503. */
  readonly timeoutMs: number;
  /** Idempotent producers sending batches in parallel (each keeps one request in flight). */
  readonly producers?: number;
  /** Consecutive failed batches that open the breaker. */
  readonly breakerFailures?: number;
  /** How long the open breaker rejects before letting one batch probe Kafka, in ms. */
  readonly halfOpenAfterMs?: number;
  /** Upper bound of records in one produce request. */
  readonly maxBatch?: number;
  /**
   * How long a free producer waits for more requests before sending fewer than `maxBatch`, in ms
   * (Kafka's producer linger.ms). Under load producers are busy and batches fill while they wait
   * for acks, so it only delays requests at a trickle, where it turns a produce request per
   * webhook into one per few ms. 0: send as soon as a producer is free.
   */
  readonly lingerMs?: number;
  /**
   * The raw topics' `max.message.bytes` (the smallest, read at start): a larger record is refused
   * at once, and a produce request carries at most this many bytes so records never share a
   * batch the broker would refuse. Defaults to the broker's own default (1 MiB + 12 bytes).
   */
  readonly maxRecordBytes?: number;
  readonly onBatch?: (size: number) => void;
  readonly onError?: (kind: SinkUnavailableError['kind']) => void;
  /** Told of every transition of the Kafka breaker (for the breaker-state metric and logs). */
  readonly onBreakerStateChange?: (state: BreakerState) => void;
  /** Told when a producer is replaced after a failed send (the broker's error, e.g. OUT_OF_ORDER_SEQUENCE_NUMBER, or `send_failed`). */
  readonly onProducerReplaced?: (reason: string) => void;
}

interface Pending {
  readonly topic: string;
  readonly message: Message;
  readonly bytes: number;
  /** The broker refused a batch holding this record for size: it goes in a produce request of its own. */
  alone: boolean;
  /** `Date.now()` when it was queued. */
  readonly queuedAt: number;
  /** `Date.now()` after which the request is answered 503 wherever it is (queued or in a batch). */
  readonly deadline: number;
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One idempotent producer (replaced after a failed send) and whether it has a produce request outstanding. */
interface Lane {
  readonly producer: ReplaceableProducer;
  busy: boolean;
}

/** The longest wait between a producer's retries of one send, ms (kafkajs's own grows to 30 s). */
const retryAtMostEveryMs = 1_000;

/**
 * A Kafka sink that coalesces concurrent requests into produce requests sent by a small pool of
 * idempotent producers. An idempotent kafkajs producer keeps one request in flight, so with one
 * producer every request waited about one ack round trip behind the previous batch; with a pool,
 * a batch closes as soon as any producer is free and takes everything queued meanwhile. No timer
 * adds latency when idle (a request waits one turn of the event loop so requests read together
 * share a batch). Raw records are unkeyed, so order across requests does not matter, and each
 * producer still keeps its own sequence numbers per partition.
 *
 * Bounded waits: each batch runs under a timeout inside one circuit breaker shared by the pool,
 * and every request carries its own deadline, checked by one sweep timer (rather than a timer and
 * abort signal per request, which cost ~8 % of the CPU at a few thousand requests/s). A request
 * answered 503 on timeout may still be delivered by kafkajs later; the vendor then retries and
 * verify's replay guard drops the second copy, so a 503 never loses data and a 202 is only ever
 * given after the ack.
 */
export function createKafkaRawSink(options: KafkaRawSinkOptions): RawSink {
  const maxBatch = options.maxBatch ?? 500;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 3_000; // INGRESS_BREAKER_HALF_OPEN_MS
  const retryAfterSeconds = Math.max(1, Math.ceil(halfOpenAfterMs / 1000));
  // Deadlines are enforced to within this: a twentieth of the timeout, 10 ms to 250 ms.
  const sweepEveryMs = Math.min(250, Math.max(10, Math.floor(options.timeoutMs / 20)));
  const maxRecordBytes = options.maxRecordBytes ?? 1_048_588; // Kafka's default message.max.bytes
  const newProducer = () =>
    options.kafka.producer({
      idempotent: true,
      // Unlimited, as kafkajs has them for idempotence, but at most a second apart: a producer
      // holding a send over a broker restart is free again about a second after the broker answers.
      // A send still gives up when the client's own reconnects run out (a broker away for more
      // than ~9 s); ReplaceableProducer then replaces the producer.
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: retryAtMostEveryMs },
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  const lanes: Lane[] = Array.from({ length: options.producers ?? 3 }, () => ({
    producer: new ReplaceableProducer(newProducer, (reason) => options.onProducerReplaced?.(reason)),
    busy: false,
  }));
  // A record too large for the topic is the request's fault, not Kafka's: it must not open the breaker.
  const breaker = circuitBreaker(handleWhen((error) => tooLargeError(error) === undefined), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures ?? 5),
  });
  if (options.onBreakerStateChange) onBreakerState(breaker, options.onBreakerStateChange);
  /*
   * A batch not acknowledged within the timeout fails, so a hanging Kafka counts toward opening
   * the breaker (each request is answered 503 at its own deadline by the sweeper). A timer rather
   * than cockatiel's timeout policy: that policy aborts an AbortController after every call, and
   * the DOMException each abort creates cost about 2 % of the ingress's CPU at 17k requests/s.
   */
  const withinTimeout = <T>(send: Promise<T>): Promise<T> =>
    raceTimeout(send, options.timeoutMs, () => {
      throw new TaskCancelledError(`no acknowledgement within ${options.timeoutMs} ms`);
    });
  let openedAt = 0;
  breaker.onBreak(() => (openedAt = Date.now()));
  let queue: Pending[] = [];
  const inFlight = new Set<Pending[]>();
  let dispatchScheduled = false;
  let lingering: NodeJS.Timeout | undefined;
  const lingerMs = options.lingerMs ?? 0;
  let sweeper: NodeJS.Timeout | undefined;
  let idleWaiter: (() => void) | undefined;

  const unavailable = (error: unknown): SinkUnavailableError => {
    if (error instanceof SinkUnavailableError) return error;
    const kind = error instanceof BrokenCircuitError ? 'breaker_open' : error instanceof TaskCancelledError ? 'timeout' : 'send_failed';
    return new SinkUnavailableError(kind, retryAfterSeconds, { cause: error });
  };

  function settle(item: Pending, error?: SinkUnavailableError | RecordTooLargeError): void {
    if (item.settled) return;
    item.settled = true;
    if (error) item.reject(error);
    else item.resolve();
  }

  /** Answers 503 to every request past its deadline, queued or waiting in a batch. */
  function sweep(): void {
    const now = Date.now();
    let expired = 0;
    while (expired < queue.length && queue[expired]!.deadline <= now) expired++;
    if (expired > 0) {
      const error = new SinkUnavailableError('timeout', retryAfterSeconds);
      for (const item of queue.splice(0, expired)) settle(item, error);
      options.onError?.('timeout');
    }
    for (const batch of inFlight) {
      if (batch[0]!.deadline > now) continue;
      const error = new SinkUnavailableError('timeout', retryAfterSeconds);
      for (const item of batch) if (item.deadline <= now) settle(item, error);
    }
    if (queue.length === 0 && inFlight.size === 0) {
      stopSweeper();
      idleWaiter?.();
    }
  }

  function stopSweeper(): void {
    clearInterval(sweeper);
    sweeper = undefined;
  }

  /** How much longer the queue may wait for company: none once full or its oldest request lingered enough. */
  function lingerLeft(): number {
    if (lingerMs <= 0 || queue.length === 0 || queue.length >= maxBatch) return 0;
    return lingerMs - (Date.now() - queue[0]!.queuedAt);
  }

  function dispatch(): void {
    dispatchScheduled = false;
    const wait = lingerLeft();
    if (wait > 0) {
      lingering ??= setTimeout(() => {
        lingering = undefined;
        dispatch();
      }, wait);
      return;
    }
    for (const lane of lanes) {
      if (queue.length === 0) break;
      if (!lane.busy) void produce(lane);
    }
    if (queue.length === 0 && inFlight.size === 0) idleWaiter?.();
  }

  /** The next batch: in queue order, at most maxBatch records and maxRecordBytes bytes, an `alone` record by itself. */
  function takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    for (const item of queue) {
      if (count >= maxBatch || (count > 0 && (item.alone || bytes + item.bytes > maxRecordBytes))) break;
      count++;
      bytes += item.bytes;
      if (item.alone) break;
    }
    const batch = count === queue.length ? queue : queue.slice(0, count);
    queue = batch === queue ? [] : queue.slice(count);
    return batch;
  }

  async function produce(lane: Lane): Promise<void> {
    lane.busy = true;
    const batch = takeBatch();
    inFlight.add(batch);
    const topicMessages: TopicMessages[] = [];
    for (const item of batch) {
      const group = topicMessages.find((t) => t.topic === item.topic);
      if (group) group.messages.push(item.message);
      else topicMessages.push({ topic: item.topic, messages: [item.message] });
    }
    options.onBatch?.(batch.length);
    let sent: Promise<unknown> | undefined;
    try {
      // No early check of breaker.state: cockatiel moves an open breaker to half-open only when a
      // call is attempted, so every batch goes through it (an open breaker fails at once).
      await breaker.execute(() => withinTimeout((sent = lane.producer.send({ topicMessages, acks: -1, compression: CompressionTypes.None }))));
      for (const item of batch) settle(item);
    } catch (error) {
      if (tooLargeError(error) !== undefined) refusedForSize(batch, error);
      else {
        const failure = unavailable(error);
        options.onError?.(failure.kind);
        for (const item of batch) settle(item, failure);
      }
    }
    inFlight.delete(batch);
    // A send answered 503 at its deadline goes on retrying inside kafkajs. The producer takes no
    // other batch until it ends: the requests queued meanwhile get 503 by their own deadlines
    // rather than being written after their answer, and the producer keeps one send at a time.
    if (sent !== undefined) await sent.catch(() => undefined);
    lane.busy = false;
    // Whatever queued while this batch waited for its ack goes out now, without a turn's delay.
    dispatch();
  }

  /**
   * The broker refused a batch for size. A record alone in its batch is answered 413; the records
   * of a larger batch are sent again one per produce request, so each learns its own answer.
   */
  function refusedForSize(batch: Pending[], error: unknown): void {
    if (batch.length === 1) {
      settle(batch[0]!, new RecordTooLargeError(batch[0]!.bytes, maxRecordBytes, { cause: error }));
      return;
    }
    for (const item of batch) item.alone = true;
    queue = [...batch.filter((item) => !item.settled), ...queue];
  }

  return {
    send(topic, message) {
      const bytes = recordBytes(message);
      if (bytes > maxRecordBytes) return Promise.reject(new RecordTooLargeError(bytes, maxRecordBytes));
      return new Promise<void>((resolve, reject) => {
        const now = Date.now();
        queue.push({ topic, message, bytes, alone: false, queuedAt: now, deadline: now + options.timeoutMs, settled: false, resolve, reject });
        sweeper ??= setInterval(sweep, sweepEveryMs).unref();
        // Wait one turn of the event loop so every request already read joins the same batch.
        if (!dispatchScheduled && lingering === undefined && lanes.some((lane) => !lane.busy)) {
          dispatchScheduled = true;
          setImmediate(dispatch);
        }
      });
    },
    // Ready while a producer is connected and the breaker is closed, or open but due for its probe.
    ready: () => lanes.some((lane) => lane.producer.connected) && (breaker.state !== CircuitState.Open || Date.now() >= openedAt + halfOpenAfterMs),
    async connect() {
      await Promise.all(lanes.map((lane) => lane.producer.connect()));
    },
    async disconnect() {
      // Every request has a deadline, so this wait is bounded by the timeout.
      if (queue.length > 0 || inFlight.size > 0) await new Promise<void>((resolve) => (idleWaiter = resolve));
      stopSweeper();
      // A send that timed out may still be retrying: it gets up to one more timeout to finish.
      await Promise.all(lanes.map((lane) => lane.producer.disconnect(options.timeoutMs)));
    },
  };
}
