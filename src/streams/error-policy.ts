import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from '../obs/logger.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import type { StreamEvents } from './events.ts';
import { executeRecord, NodeFailure } from './execute.ts';
import type { OutgoingRecord, RawRecord } from './record.ts';
import type { Topology } from './topology.ts';

export interface RetryOptions {
  /** Retries after the first attempt before a record is dead-lettered. */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetry: RetryOptions = {
  maxRetries: 3,
  initialDelayMs: 100,
  maxDelayMs: 5_000, // caps the time one poison record holds its partition at a few seconds
};

/** What became of one input record. */
export type Outcome =
  | { kind: 'processed'; outputs: OutgoingRecord[] }
  | { kind: 'dead-letter'; node: string; reason: string; detail: string; attempts: number }
  | { kind: 'unavailable'; node: string; error: DependencyUnavailableError };

const causeOf = (error: unknown): unknown => (error instanceof NodeFailure ? error.cause : error);
const nodeOf = (error: unknown): string => (error instanceof NodeFailure ? error.node : 'unknown');
const isTransient = (error: unknown): boolean => {
  const cause = causeOf(error);
  return !(cause instanceof RecordError) && !(cause instanceof DependencyUnavailableError);
};

/**
 * The error policy, as one object (like Kafka Streams' exception handlers): RecordError →
 * dead letter now; DependencyUnavailableError → report it so the runner pauses; anything else →
 * retried with exponential backoff, then dead-lettered as `processing_failed`.
 */
export class ErrorPolicy {
  readonly #topology: Topology;
  readonly #retry: RetryOptions;
  readonly #log: Logger;
  readonly #events: StreamEvents | undefined;

  constructor(topology: Topology, options: { retry?: Partial<RetryOptions>; log: Logger; events?: StreamEvents }) {
    this.#topology = topology;
    this.#retry = { ...defaultRetry, ...options.retry };
    this.#log = options.log;
    this.#events = options.events;
  }

  async process(raw: RawRecord): Promise<Outcome> {
    let attempts = 0;
    const policy = retry(handleWhen(isTransient), {
      maxAttempts: this.#retry.maxRetries,
      backoff: new ExponentialBackoff({ initialDelay: this.#retry.initialDelayMs, maxDelay: this.#retry.maxDelayMs }),
    });
    policy.onRetry((reason) => {
      const error = 'error' in reason ? reason.error : undefined;
      this.#events?.emit('retried', { topology: this.#topology.name, node: nodeOf(error), attempt: attempts + 1, error: errorName(causeOf(error)) });
    });
    try {
      const outputs = await policy.execute(() => {
        attempts += 1;
        return executeRecord(this.#topology, raw, this.#log, attempts);
      });
      return { kind: 'processed', outputs };
    } catch (error) {
      const cause = causeOf(error);
      const node = nodeOf(error);
      if (cause instanceof DependencyUnavailableError) return { kind: 'unavailable', node, error: cause };
      if (cause instanceof RecordError) return { kind: 'dead-letter', node, reason: cause.reason, detail: cause.detail, attempts };
      // Name and code only: messages of arbitrary errors may quote the record (PHI).
      this.#log.warn({ node, error: errorName(cause), attempts }, 'record failed after retries; dead-lettering it');
      return { kind: 'dead-letter', node, reason: 'processing_failed', detail: `${node}: ${errorName(cause)} after ${attempts} attempts`, attempts };
    }
  }
}

export function errorName(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} (${code})` : error.name;
}
