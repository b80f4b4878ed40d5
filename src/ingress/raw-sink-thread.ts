import type { BreakerState } from '../obs/breaker-state.ts';

/** What the ingress's HTTP thread hands the Kafka thread: the sink's options that are plain data. */
export interface RawSinkThreadData {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly logLevel: string;
  readonly timeoutMs: number;
  readonly halfOpenAfterMs: number;
  readonly producers: number;
  readonly lingerMs: number;
  readonly maxRecordBytes: number;
}

/**
 * One request's record. Its body lies at `[start, end)` of the transferred buffer of its
 * message, so the bodies of a turn cross the thread boundary in one copy.
 */
export interface ThreadRecord {
  readonly id: number;
  readonly topic: string;
  readonly start: number;
  readonly end: number;
  readonly headers: Record<string, string>;
  readonly timestamp: string | undefined;
}

export type ToKafkaThread =
  | { readonly type: 'send'; readonly bodies: ArrayBuffer; readonly records: readonly ThreadRecord[] }
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' };

export type ThreadFailure =
  | { readonly id: number; readonly kind: 'unavailable'; readonly reason: 'timeout' | 'breaker_open' | 'send_failed'; readonly retryAfterSeconds: number }
  | { readonly id: number; readonly kind: 'too-large'; readonly bytes: number; readonly limitBytes: number };

export type FromKafkaThread =
  | { readonly type: 'settled'; readonly acknowledged: readonly number[]; readonly failed: readonly ThreadFailure[] }
  | { readonly type: 'ready'; readonly ready: boolean }
  | { readonly type: 'connected' }
  | { readonly type: 'connect-failed'; readonly message: string }
  | { readonly type: 'disconnected' }
  | { readonly type: 'batches'; readonly sizes: readonly number[] }
  | { readonly type: 'breaker'; readonly state: BreakerState }
  | { readonly type: 'replaced'; readonly reason: string };
