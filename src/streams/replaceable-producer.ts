import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { fatalIdempotenceError } from './producer-errors.ts';

/**
 * An idempotent producer that is replaced after a fatal idempotence error. After
 * OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, a fenced epoch and the like, the producer's
 * id and sequence numbers no longer match the broker's (typically a broker restart lost them),
 * and every retry fails the same way: only a new producer id writes again. The send that met the
 * error still fails; what its caller does then is its own (the ingress answers 503 and the
 * vendor retries, a stage sends the chunk again).
 *
 * The replacement connects at once, so readiness recovers without traffic. The old producer is
 * disconnected once the sends it still retries have ended. One implementation for the ingress
 * and the stages.
 */
export class ReplaceableProducer {
  readonly #create: () => Producer;
  readonly #onReplaced: (reason: string) => void;
  #producer: Producer;
  /** A replacement not connected yet: the next send connects it first. */
  #fresh = false;
  #connecting: Promise<void> | undefined;
  #connected = false;
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

  connect(): Promise<void> {
    return this.#producer.connect();
  }

  async send(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.#fresh) await this.#connectReplacement();
    const producer = this.#producer;
    const sent = producer.sendBatch(batch);
    this.#sending.add(sent);
    const forget = () => void this.#sending.delete(sent);
    // Watched on the send itself, not its caller's wait: a fatal answer after a timeout counts too.
    sent.then(forget, (error: unknown) => {
      forget();
      const fatal = fatalIdempotenceError(error);
      if (fatal !== undefined && this.#producer === producer) this.#replace(fatal);
    });
    return sent;
  }

  /** Resolves once every send made so far has settled, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const sends = Promise.all([...this.#sending].map((sent) => sent.catch(() => undefined)));
    await Promise.race([sends, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  disconnect(): Promise<void> {
    return this.#producer.disconnect();
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
    this.#fresh = true;
    void this.#connectReplacement().catch(() => undefined); // The next send tries again.
    this.#onReplaced(reason);
    void Promise.all(pending)
      .then(() => old.disconnect())
      .catch(() => undefined); // It is being dropped: a failed disconnect changes nothing.
  }

  /** Connects a replacement once, however many sends wait for it. */
  #connectReplacement(): Promise<void> {
    const producer = this.#producer;
    const current = () => this.#producer === producer;
    this.#connecting ??= producer
      .connect()
      .then(() => void (current() && (this.#fresh = false)))
      .finally(() => void (current() && (this.#connecting = undefined)));
    return this.#connecting;
  }
}
