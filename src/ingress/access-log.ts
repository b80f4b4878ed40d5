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
 * line per success cost 35–45 µs of CPU per request, a fifth of the ingress's CPU (192–202 µs per
 * 202 against 156–169 µs sampled, 4.3k/3.9k against 6.9k/5.3k req/s; bench/ingress.ts
 * `--access-log all` against the default, two runs each on the shared 2-core machine).
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
