import type { Logger } from '../obs/logger.ts';

export interface AccessLogEntry {
  readonly requestId: string;
  readonly vendor: string;
  readonly method: string | undefined;
  readonly status: number;
  readonly ms: number;
}

export interface AccessLog {
  write(entry: AccessLogEntry): void;
}

/**
 * The webhook access log: no user ids, no body, no auth headers, only the fields above.
 *
 * Every non-2xx answer is logged at info: those are what an operator looks for (a vendor signing
 * with an old secret, Kafka refusing). Successes are logged at debug, and at info only one in
 * `successSampleEvery` (the first always), carrying `sampled` so counts can be scaled back up;
 * `webhook_events_total` has the exact numbers. Why: with pino and its redaction paths an info
 * line per request cost about 10 % of the ingress's CPU at a few thousand requests/s
 * (bench/ingress.ts, `--access-log all` against the default).
 */
export function createAccessLog(log: Logger, successSampleEvery: number): AccessLog {
  let successes = 0;
  return {
    write(entry) {
      if (entry.status >= 300) {
        log.info(entry, 'webhook');
        return;
      }
      if (successes++ % successSampleEvery === 0) log.info({ ...entry, sampled: successSampleEvery }, 'webhook');
      else if (log.isLevelEnabled('debug')) log.debug(entry, 'webhook');
    },
  };
}
