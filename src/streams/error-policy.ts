import { ExponentialBackoff, handleWhen, retry, type IPolicy, type IRetryContext, type RetryPolicy } from 'cockatiel';
import type { Logger } from '../obs/logger.ts';
import { andThen } from './awaitable.ts';
import { DependencyUnavailableError, RecordError } from './errors.ts';
import type { StreamEvents } from './events.ts';
import { executeRecord, NodeFailure, type RecordResult } from './execute.ts';
import type { OutgoingRecord, RawRecord } from './record.ts';
import type { ChunkState, RecordState } from './state/chunk-state.ts';
import type { StoreEntry, Topology } from './topology.ts';

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
  | { kind: 'processed'; outputs: OutgoingRecord[]; stored: StoreEntry[]; state?: RecordState }
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
  readonly #log: Logger;
  readonly #retry: IPolicy<IRetryContext> | undefined;

  constructor(topology: Topology, options: { retry?: Partial<RetryOptions>; log: Logger; events?: StreamEvents }) {
    const settings = { ...defaultRetry, ...options.retry };
    this.#topology = topology;
    this.#log = options.log;
    if (settings.maxRetries > 0) {
      // One policy for the topology: building it per record costs more than a pass-through step.
      const policy = retryPolicy(settings);
      policy.onRetry((reason) => {
        const error = 'error' in reason ? reason.error : undefined;
        options.events?.emit('retried', { topology: topology.name, node: nodeOf(error), attempt: reason.attempt + 1, error: errorName(causeOf(error)) });
      });
      this.#retry = policy;
    }
  }

  /**
   * `state`: the chunk's stores; each attempt gets a fresh view, so a failed one leaves no writes.
   * Synchronous when the record's graph is (see `executeRecord`).
   */
  process(raw: RawRecord, state?: ChunkState): Outcome | Promise<Outcome> {
    // The first attempt runs bare: the retry machinery is only paid for by records that fail.
    let first: Outcome | Promise<Outcome>;
    try {
      first = this.#attempt(raw, 1, state);
    } catch (error) {
      return this.#afterFailure(raw, state, error);
    }
    return first instanceof Promise ? first.catch((error: unknown) => this.#afterFailure(raw, state, error)) : first;
  }

  #attempt(raw: RawRecord, attempt: number, state?: ChunkState): Outcome | Promise<Outcome> {
    const view = state?.record();
    if (!view) return andThen(executeRecord(this.#topology, raw, this.#log, attempt), (result) => processed(result, undefined));
    // A failed attempt puts back what it changed in place in the chunk's stores before the next one runs.
    let result: RecordResult | Promise<RecordResult>;
    try {
      result = executeRecord(this.#topology, raw, this.#log, attempt, view);
    } catch (error) {
      view.rollback();
      throw error;
    }
    if (!(result instanceof Promise)) return processed(result, view);
    return result.then(
      (done) => processed(done, view),
      (error: unknown) => {
        view.rollback();
        throw error;
      },
    );
  }

  async #afterFailure(raw: RawRecord, state: ChunkState | undefined, firstFailure: unknown): Promise<Outcome> {
    let attempts = 1;
    let failure = firstFailure;
    if (this.#retry && isTransient(failure)) {
      try {
        return await this.#retry.execute(({ attempt: call }) => {
          // cockatiel's call 0 stands for the bare attempt that already failed: replay its error
          // so the policy backs off before the real retries 1..maxRetries.
          if (call === 0) throw firstFailure;
          attempts = call + 1;
          return this.#attempt(raw, attempts, state);
        });
      } catch (error) {
        failure = error;
      }
    }
    const cause = causeOf(failure);
    const node = nodeOf(failure);
    if (cause instanceof DependencyUnavailableError) return { kind: 'unavailable', node, error: cause };
    if (cause instanceof RecordError) return { kind: 'dead-letter', node, reason: cause.reason, detail: cause.detail, attempts };
    // Name and code only: messages of arbitrary errors may quote the record (PHI).
    this.#log.warn({ node, error: errorName(cause), attempts }, 'record failed after retries; dead-lettering it');
    return { kind: 'dead-letter', node, reason: 'processing_failed', detail: `${node}: ${errorName(cause)} after ${attempts} attempts`, attempts };
  }
}

function processed(result: RecordResult, view: RecordState | undefined): Outcome {
  return view ? { kind: 'processed', outputs: result.outputs, stored: result.stored, state: view } : { kind: 'processed', outputs: result.outputs, stored: result.stored };
}

/** Exponential backoff over transient errors only: RecordError and DependencyUnavailableError are final. */
export function retryPolicy(settings: RetryOptions): RetryPolicy {
  return retry(handleWhen(isTransient), {
    maxAttempts: settings.maxRetries,
    backoff: new ExponentialBackoff({ initialDelay: settings.initialDelayMs, maxDelay: settings.maxDelayMs }),
  });
}

export function errorName(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  // A Kafka protocol error's type (ILLEGAL_GENERATION, NOT_LEADER_OR_FOLLOWER…) names the broker's answer.
  const { code, type } = error as { code?: unknown; type?: unknown };
  const detail = typeof code === 'string' ? code : typeof type === 'string' ? type : undefined;
  return detail === undefined ? error.name : `${error.name} (${detail})`;
}
