import { bulkhead, type BulkheadPolicy, type RetryPolicy } from 'cockatiel';
import type { Logger } from '../obs/logger.ts';
import type { DeadLetterCause } from './dead-letter.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import { defaultRetry, errorName, retryPolicy, type RetryOptions } from './error-policy.ts';
import type { StreamEvents } from './events.ts';
import type { AnyRecord, StoreEntry, StoreNode, Topology } from './topology.ts';

/** What became of a chunk's store writes. */
export type StoreOutcome =
  | {
      kind: 'written';
      /** Store node → records written. */
      written: Record<string, number>;
      /** Input records (by their index in the chunk) a store refused even alone: dead-letter them. */
      refused: Map<number, DeadLetterCause>;
    }
  | { kind: 'unavailable'; error: DependencyUnavailableError };

interface Pending {
  readonly index: number;
  readonly record: AnyRecord;
}

/**
 * Writes what a chunk's records left at the topology's store nodes: one idempotent multi-row
 * write per `maxBatch` records, at most `maxInFlight` chunks per store at once (across the
 * partitions this instance consumes). A failing write is retried with backoff; when retries do
 * not fix it, the records are written one by one so only those the store refuses are
 * dead-lettered. Kafka-free, so the test driver runs exactly this.
 */
export class StoreWrites {
  readonly #topology: Topology;
  readonly #log: Logger;
  readonly #events: StreamEvents | undefined;
  readonly #retry: RetryPolicy;
  readonly #maxRetries: number;
  readonly #inFlight = new Map<string, BulkheadPolicy>();

  constructor(topology: Topology, options: { retry?: Partial<RetryOptions>; log: Logger; events?: StreamEvents }) {
    const settings = { ...defaultRetry, ...options.retry };
    this.#topology = topology;
    this.#log = options.log;
    this.#events = options.events;
    this.#maxRetries = settings.maxRetries;
    this.#retry = retryPolicy(settings);
    for (const store of topology.stores) this.#inFlight.set(store.name, bulkhead(store.maxInFlight, Number.POSITIVE_INFINITY));
  }

  /** `stored[i]` holds what input record i of the chunk left at store nodes. */
  async write(stored: ReadonlyArray<readonly StoreEntry[]>): Promise<StoreOutcome> {
    const written: Record<string, number> = {};
    const refused = new Map<number, DeadLetterCause>();
    for (const store of this.#topology.stores) {
      const pending: Pending[] = [];
      stored.forEach((entries, index) => {
        for (const entry of entries) if (entry.node === store) pending.push({ index, record: entry.record });
      });
      if (pending.length === 0) continue;
      try {
        written[store.name] = await this.#inFlight.get(store.name)!.execute(() => this.#writeStore(store, pending, refused));
      } catch (error) {
        if (error instanceof DependencyUnavailableError) return { kind: 'unavailable', error };
        throw error;
      }
    }
    return { kind: 'written', written, refused };
  }

  async #writeStore(store: StoreNode, pending: readonly Pending[], refused: Map<number, DeadLetterCause>): Promise<number> {
    let written = 0;
    for (let start = 0; start < pending.length; start += store.maxBatch) {
      const batch = pending.slice(start, start + store.maxBatch);
      try {
        await this.#attempt(store, batch.map((p) => p.record));
        written += batch.length;
        continue;
      } catch (error) {
        if (error instanceof DependencyUnavailableError) throw error;
        // Name and code only: driver messages may quote row values (PHI).
        this.#log.warn({ node: store.name, error: errorName(error), records: batch.length }, 'store write failed; writing record by record');
      }
      for (const { index, record } of batch) {
        try {
          await this.#attempt(store, [record]);
          written += 1;
        } catch (error) {
          if (error instanceof DependencyUnavailableError) throw error;
          refused.set(
            index,
            error instanceof RecordError
              ? { node: store.name, reason: error.reason, detail: error.detail, attempts: 1 }
              : { node: store.name, reason: 'write_failed', detail: `${store.name}: ${errorName(error)}`, attempts: 1 + this.#maxRetries },
          );
        }
      }
    }
    return written;
  }

  #attempt(store: StoreNode, records: readonly AnyRecord[]): Promise<unknown> {
    let last: unknown;
    return this.#retry.execute(async ({ attempt }) => {
      if (attempt > 0) this.#events?.emit('retried', { topology: this.#topology.name, node: store.name, attempt: attempt + 1, error: errorName(last) });
      try {
        return await store.writer.write(records);
      } catch (error) {
        last = error;
        throw error;
      }
    });
  }
}
