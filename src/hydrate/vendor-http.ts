import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { onBreakerState, type BreakerState } from '../obs/breaker-state.ts';
import { isObject } from '../vendors/kit/payload-fields.ts';
import { DependencyUnavailableError, RecordError } from '../streams/errors.ts';
import { ResourceGoneError, TokenRejectedError, type JsonResponse } from '../vendors/kit/api-get.ts';
import { retryAfterMs } from '../vendors/kit/retry-after.ts';
import { vendorWaitMs } from './retry-after.ts';

/**
 * HTTP to one vendor's resource API, shared by every user of that vendor in a process so its
 * breaker sees every failure. Answers are sorted for the error policy:
 * 200 → the JSON object; 404/410 → ResourceGoneError; 401 → TokenRejectedError (the caller
 * refreshes); 429 → DependencyUnavailableError with the vendor's Retry-After, held between 1 s and 1 h
 * (pause, no retry here);
 * other 4xx → RecordError `vendor_refused`; 5xx, timeouts, resets → retried with backoff inside the
 * breaker (5 consecutive failures open it for a minute), then DependencyUnavailableError while open.
 */
export interface VendorHttpOptions {
  readonly vendor: string;
  readonly baseUrl: string;
  /** Per attempt, in ms. */
  readonly timeoutMs?: number;
  /** Attempts per request, including the first. */
  readonly maxAttempts?: number;
  readonly breakerThreshold?: number;
  /** How long the breaker stays open before one trial request, in ms. */
  readonly halfOpenAfterMs?: number;
  /** Backoff between attempts, in ms. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly onBreakerStateChange?: (state: BreakerState) => void;
  readonly now?: () => number;
  /**
   * Reads a 200's body for errors a vendor reports inside it (Withings answers HTTP 200 with
   * `status: 401`): throws TokenRejectedError, DependencyUnavailableError or RecordError as a
   * status would, or returns the answer to use.
   */
  readonly inspect?: (answer: JsonResponse) => JsonResponse;
  /** Told of every attempt's outcome: the HTTP status, or `error` for a timeout or a broken connection. */
  readonly onResponse?: (status: number | 'error') => void;
}

export interface VendorHttp {
  readonly vendor: string;
  /** The breaker's and 429's dependency name, e.g. `oura-api`. */
  readonly dependency: string;
  get(path: string, accessToken: string, query?: Readonly<Record<string, string>>): Promise<JsonResponse>;
}

const defaults = {
  timeoutMs: 10_000, // ten seconds
  maxAttempts: 3,
  breakerThreshold: 5, // docs/design.md §6
  halfOpenAfterMs: 60_000, // one minute
  initialDelayMs: 200,
  maxDelayMs: 2_000,
  retryAfterMs: 60_000, // a 429 without Retry-After waits a minute, the shortest window vendors publish
};

const permanent = (error: unknown) =>
  error instanceof RecordError ||
  error instanceof DependencyUnavailableError ||
  error instanceof ResourceGoneError ||
  error instanceof TokenRejectedError ||
  error instanceof BrokenCircuitError;

export function createVendorHttp(options: VendorHttpOptions): VendorHttp {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? defaults.halfOpenAfterMs;
  const now = options.now ?? Date.now;
  const vendor = options.vendor;
  const dependency = `${vendor}-api`;
  const base = options.baseUrl.replace(/\/+$/, '');

  const transient = handleWhen((error) => !permanent(error));
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? defaults.breakerThreshold),
  });
  const retries = retry(transient, {
    maxAttempts: (options.maxAttempts ?? defaults.maxAttempts) - 1,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? defaults.initialDelayMs, maxDelay: options.maxDelayMs ?? defaults.maxDelayMs }),
  });
  if (options.onBreakerStateChange) onBreakerState(breaker, options.onBreakerStateChange);
  // Retry outside the breaker: every attempt counts towards opening it.
  const policy: IPolicy = wrap(retries, breaker);

  async function once(url: URL, accessToken: string, signal: AbortSignal): Promise<JsonResponse> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      options.onResponse?.('error');
      throw error;
    }
    const { status } = response;
    options.onResponse?.(status);
    if (status === 200) {
      const bytes = Buffer.from(await response.arrayBuffer());
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        // The parser's message quotes the body (PHI): keep only the size.
        throw new RecordError('malformed_resource', `${vendor} answered ${bytes.length} bytes that are not JSON`, { cause: error });
      }
      if (!isObject(parsed) && !Array.isArray(parsed)) throw new RecordError('malformed_resource', `${vendor} answered JSON that is neither an object nor a list`);
      return options.inspect ? options.inspect(parsed) : parsed;
    }
    await response.body?.cancel();
    if (status === 404 || status === 410) throw new ResourceGoneError(vendor, status);
    if (status === 401) throw new TokenRejectedError(vendor);
    if (status === 429) {
      // WHOOP documents X-RateLimit-Reset (seconds until its window frees a request) rather than Retry-After.
      const waitMs = retryAfterMs(response.headers.get('retry-after'), now()) ?? retryAfterMs(response.headers.get('x-ratelimit-reset'), now());
      throw new DependencyUnavailableError(dependency, vendorWaitMs(waitMs ?? defaults.retryAfterMs));
    }
    // The path stays out of the detail: some vendors put user ids in it.
    if (status >= 400 && status < 500) throw new RecordError('vendor_refused', `${vendor} answered ${status}`);
    throw new Error(`${vendor} answered ${status}`);
  }

  return {
    vendor,
    dependency,
    async get(path, accessToken, query) {
      const url = new URL(`${base}${path}`);
      for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
      try {
        return await policy.execute(({ signal }) => once(url, accessToken, signal));
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new DependencyUnavailableError(dependency, halfOpenAfterMs, { cause: error });
        throw error;
      }
    },
  };
}
