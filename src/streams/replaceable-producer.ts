import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { raceTimeout } from './awaitable.ts';
import { fatalIdempotenceError, tooLargeError } from './producer-errors.ts';

/**
 * An idempotent producer that is replaced after any send that failed for good. Two ways its
 * sequence numbers stop matching the broker's:
 * - a fatal idempotence error (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, a fenced epoch
 *   and the like, typically after a broker restart): every retry fails the same way;
 * - any other send that gave up, e.g. because the client stopped reconnecting to a broker away for
 *   longer than its connect retries. kafkajs gives a failed request's sequence numbers back, and
 *   the request may have been written (its answer lost with the connection): the next send would
 *   carry other records under those numbers, and the broker would acknowledge them as duplicates
 *   without writing them. The fault soak lost an acknowledged webhook that way.
 * Only a new producer id writes safely again. The send that failed still fails; what its caller
 * does then is its own (the ingress answers 503 and the vendor retries, a stage sends the chunk
 * again).
 *
 * The replacement connects at once, so readiness recovers without traffic. The old producer is
 * disconnected once the sends it still retries have ended. One implementation for the ingress
 * and the stages.
 */
export class ReplaceableProducer {
  readonly #create: () => Producer;
  readonly #onReplaced: (reason: string) => void;
  #producer: Producer;
  /** The current producer is not connected yet (the first, or a replacement): the next send connects it first. */
  #unconnected = true;
  #connecting: Promise<void> | undefined;
  #connected = false;
  /** disconnect() was called: sends that fail from now on were given up by it, not by the broker. */
  #closing = false;
  /** Settles when the last send made has settled: the next one starts after it. */
  #last: Promise<void> = Promise.resolve();
  /** sendBatch calls not yet settled: one may outlive its caller's timeout (kafkajs retries in the background). */
  readonly #sending = new Set<Promise<unknown>>();

  constructor(create: () => Producer, onReplaced: (reason: string) => void = () => undefined) {
    this.#create = create;
    this.#onReplaced = onReplaced;
    this.#producer = this.#watched(create());
  }

  /** Whether the current producer is connected (a replaced one's events no longer count). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Connects the current producer (once, however many callers wait); a send does it when nobody did. */
  connect(): Promise<void> {
    return this.#connectCurrent();
  }

  /**
   * One send at a time, each made on the producer current when the one before it has settled: a
   * send made while another fails must go to the replacement, not queue behind the failure on the
   * old producer (kafkajs runs an idempotent producer's sends one after another) and take the
   * sequence numbers it gave back.
   */
  async send(batch: ProducerBatch): Promise<RecordMetadata[]> {
    const before = this.#last;
    let settled!: () => void;
    this.#last = new Promise<void>((resolve) => (settled = resolve));
    try {
      await before;
      return await this.#sendNow(batch);
    } finally {
      settled();
    }
  }

  async #sendNow(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.#unconnected) await this.#connectCurrent();
    const producer = this.#producer;
    const sent = producer.sendBatch(batch);
    this.#sending.add(sent);
    const forget = () => void this.#sending.delete(sent);
    // Watched on the send itself, not its caller's wait: a fatal answer after a timeout counts too.
    sent.then(forget, (error: unknown) => {
      forget();
      if (!this.#closing && this.#producer === producer) this.#replace(replacementReason(error));
    });
    return sent;
  }

  /**
   * Disconnects, without replacing the producer again. `settleMs`: first wait up to that long for
   * sends still retrying (disconnecting under one lets it reconnect afterwards and keep a socket
   * open); a send that fails meanwhile was given up by this stop, not lost to the broker.
   */
  async disconnect(settleMs = 0): Promise<void> {
    this.#closing = true;
    if (settleMs > 0) await raceTimeout(Promise.all([...this.#sending].map((sent) => sent.catch(() => undefined))), settleMs, () => undefined);
    await this.#producer.disconnect();
  }

  #watched(producer: Producer): Producer {
    // Events of a replaced producer must not mark this one up or down.
    producer.on(producer.events.CONNECT, () => void (this.#producer === producer && (this.#connected = true)));
    producer.on(producer.events.DISCONNECT, () => void (this.#producer === producer && (this.#connected = false)));
    return producer;
  }

  #replace(reason: string): void {
    const old = this.#producer;
    const pending = [...this.#sending].map((sent) => sent.catch(() => undefined));
    this.#producer = this.#watched(this.#create());
    this.#connected = false;
    this.#unconnected = true;
    void this.#connectCurrent().catch(() => undefined); // The next send tries again.
    this.#onReplaced(reason);
    void Promise.all(pending)
      .then(() => old.disconnect())
      .catch(() => undefined); // It is being dropped: a failed disconnect changes nothing.
  }

  #connectCurrent(): Promise<void> {
    const producer = this.#producer;
    const current = () => this.#producer === producer;
    this.#connecting ??= producer
      .connect()
      .then(() => void (current() && (this.#unconnected = false)))
      .finally(() => void (current() && (this.#connecting = undefined)));
    return this.#connecting;
  }
}

/** Why a producer is replaced, for logs and the replacement metric: the broker's error, or `send_failed`. */
function replacementReason(error: unknown): string {
  return fatalIdempotenceError(error) ?? tooLargeError(error) ?? 'send_failed';
}
