import { EventEmitter } from 'node:events';
import type { DeliveryMode } from './delivery.ts';

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A partition as a map key. */
export const keyOf = (ref: PartitionRef): string => `${ref.topic}/${ref.partition}`;

/** Everything the runner reports. Metrics, logs and tests subscribe; the runner never waits on them. */
export interface StreamEventMap {
  started: { topology: string; groupId: string; delivery: DeliveryMode };
  rebalanced: { topology: string; assigned: PartitionRef[] };
  /** One chunk of a partition went through the graph and is committed. */
  processed: PartitionRef & {
    topology: string;
    /** Source node name → records read. */
    recordsIn: Record<string, number>;
    /** Sink node name → records written (dead letters are reported separately). */
    recordsOut: Record<string, number>;
    /** Per-record processing time through the graph, ms. */
    latenciesMs: number[];
    /** Records behind the partition's high watermark after this chunk. */
    lag: number;
  };
  /** Offsets (next to read) are durable: committed, or sent inside a committed transaction. */
  committed: PartitionRef & { topology: string; offset: string; transactional: boolean };
  'transaction-aborted': PartitionRef & { topology: string; error: string };
  retried: { topology: string; node: string; attempt: number; error: string };
  'dead-lettered': PartitionRef & { topology: string; node: string; reason: string; offset: string; attempts: number };
  paused: PartitionRef & { topology: string; dependency: string; retryAfterMs: number };
  resumed: PartitionRef & { topology: string };
  stopped: { topology: string };
  /** A state store's partition is being restored from its changelog (`restored` of `total` records). */
  restoring: { topology: string; store: string; partition: number; restored: number; total: number };
  restored: { topology: string; store: string; partition: number; restored: number; seconds: number };
  /** Records a window store dropped because their window had closed (past the grace period). */
  'late-dropped': { topology: string; store: string; partition: number; count: number };
  /** Keys the retention sweep deleted: every window they held was past retention at the store's stream time. */
  'state-expired': { topology: string; store: string; partition: number; count: number };
  /** Keys a chunk read from local storage because the store's key cache did not hold them. */
  'state-storage-reads': { topology: string; store: string; partition: number; count: number };
  /** The consumer gave up (kafkajs will not restart it); the process should exit. */
  crashed: { topology: string; error: string };
}

export type StreamEventName = keyof StreamEventMap;

/** A typed emitter for runtime lifecycle events; `on` returns an unsubscribe function. */
export class StreamEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every topology and the metrics binder subscribe; many listeners are expected, not a leak.
    this.#emitter.setMaxListeners(0);
  }

  on<E extends StreamEventName>(event: E, listener: (payload: StreamEventMap[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  /** Resolves with the first event that matches `predicate` (tests wait on lifecycle this way). */
  next<E extends StreamEventName>(event: E, predicate: (payload: StreamEventMap[E]) => boolean = () => true): Promise<StreamEventMap[E]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        resolve(payload);
      });
    });
  }

  emit<E extends StreamEventName>(event: E, payload: StreamEventMap[E]): void {
    this.#emitter.emit(event, payload);
  }
}
