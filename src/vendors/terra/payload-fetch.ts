import { onBreakerState, type BreakerState } from '../../obs/breaker-state.ts';
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
import { DependencyUnavailableError, RecordError } from '../../streams/errors.ts';
import { BodyError, decodeBody } from '../kit/body.ts';
import { isObject, numberAt, stringAt, type JsonObject } from '../kit/payload-fields.ts';

/**
 * Terra's Kafka destination usually sends a pointer, not the document:
 * `{"type":"s3_payload","url":"<pre-signed>","expires_in":600,…}`. The document must be fetched
 * from Terra's storage before the URL expires. Failures are sorted for the error policy:
 * expired/gone → RecordError (dead letter, redrive cannot help but an operator sees it);
 * storage down → retried here, then the breaker opens and normalize pauses instead of burning
 * every following record into the dead-letter topic.
 */
export interface TerraPayloadFetchOptions {
  /** Per attempt, in ms. */
  readonly timeoutMs?: number;
  /** Attempts per document, including the first. */
  readonly maxAttempts?: number;
  /** Consecutive failures that open the breaker (docs/design.md §6: 5). */
  readonly breakerThreshold?: number;
  /** How long the breaker stays open before one trial request, in ms (docs/design.md §6: 60 s). */
  readonly halfOpenAfterMs?: number;
  /** Which URLs may be fetched, the pointer's and every redirect's: https anywhere, plain http only on loopback (tests' stand-in). */
  readonly allowUrl?: (url: URL) => boolean;
  /** The largest document read; a larger one is the dead letter `payload_too_large` rather than a heap it would fill. */
  readonly maxDocumentBytes?: number;
  readonly now?: () => number;
  /** Told of every breaker transition (for the breaker-state metric and logs). */
  readonly onBreakerStateChange?: (state: BreakerState) => void;
}

export const terraStorageDependency = 'terra-storage';

const defaults = {
  timeoutMs: 10_000, // ten seconds: documents can be large, the URL lives 600 s
  maxDocumentBytes: 64 * 1_048_576, // 64 MiB: a month of samples; the stage's heap holds a few at once
  maxAttempts: 3,
  breakerThreshold: 5,
  halfOpenAfterMs: 60_000, // one minute
};

/** Storage answered but will never serve this document: not worth a retry. */
class PermanentFetchError extends RecordError {}

const loopbackHosts = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

export function defaultAllowUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
}

const maxRedirects = 3;
/** What is read of an error answer: enough for S3's XML error, whose text says "expired". */
const errorBodyBytes = 64 * 1_024;

/**
 * The body, read only up to `limit` bytes. Past it, a document is `payload_too_large` (`truncate`
 * false) and an error answer is cut there (`truncate`); the rest is never read.
 */
async function boundedBytes(response: Response, limit: number, truncate = false): Promise<Buffer> {
  const tooLarge = () => new PermanentFetchError('payload_too_large', `Terra document is larger than ${limit} bytes`);
  if (!truncate && Number(response.headers.get('content-length') ?? Number.NaN) > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early (a break or a throw) cancels the body.
  for await (const chunk of response.body ?? []) {
    if (total + chunk.byteLength > limit) {
      if (!truncate) throw tooLarge();
      chunks.push(chunk.subarray(0, limit - total));
      total = limit;
      break;
    }
    total += chunk.byteLength;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

export function isS3PayloadPointer(message: JsonObject): boolean {
  return stringAt(message, 'type') === 's3_payload';
}

export interface TerraPayloadFetcher {
  /**
   * The Terra document a pointer message refers to. `producedAt` is the Kafka record timestamp
   * (when Terra wrote the pointer), from which the URL's expiry is known without a request.
   */
  fetchDocument(pointer: JsonObject, producedAt: number): Promise<JsonObject>;
}

export function createTerraPayloadFetcher(options: TerraPayloadFetchOptions = {}): TerraPayloadFetcher {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? defaults.halfOpenAfterMs;
  const allowUrl = options.allowUrl ?? defaultAllowUrl;
  const now = options.now ?? Date.now;

  const transient = handleWhen((error) => !(error instanceof RecordError) && !(error instanceof BrokenCircuitError));
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? defaults.breakerThreshold),
  });
  const retries = retry(transient, {
    maxAttempts: (options.maxAttempts ?? defaults.maxAttempts) - 1,
    backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 2_000 }),
  });
  if (options.onBreakerStateChange) onBreakerState(breaker, options.onBreakerStateChange);
  // Retry outside the breaker: every attempt counts towards opening it.
  const policy: IPolicy = wrap(retries, breaker);

  const maxDocumentBytes = options.maxDocumentBytes ?? defaults.maxDocumentBytes;

  /**
   * The answer at `url`, redirects followed by hand: each must go where `allowUrl` allows, or a
   * pointer to https storage could lead the stage to a plain-http address inside the network.
   */
  async function fetchAllowed(url: URL, signal: AbortSignal): Promise<Response> {
    for (let hops = 0; ; hops += 1) {
      const response = await fetch(url, { signal, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return response;
      await response.body?.cancel();
      if (hops === maxRedirects) throw new PermanentFetchError('payload_redirect_refused', `Terra storage redirected more than ${maxRedirects} times`);
      const next = new URL(location, url);
      if (!allowUrl(next)) throw new PermanentFetchError('payload_redirect_refused', `Terra storage redirected to a scheme or host that is not allowed (${next.protocol})`);
      url = next;
    }
  }

  async function fetchOnce(url: URL, signal: AbortSignal): Promise<JsonObject> {
    const response = await fetchAllowed(url, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
    if (response.status === 403 || response.status === 400) {
      const text = (await boundedBytes(response, errorBodyBytes, true)).toString('utf8');
      // S3 answers an expired pre-signed URL with 403 "Request has expired".
      if (/expired/i.test(text)) throw new PermanentFetchError('payload_expired', `Terra storage says the pre-signed URL has expired (${response.status})`);
      throw new PermanentFetchError('payload_forbidden', `Terra storage refused the pre-signed URL (${response.status})`);
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new PermanentFetchError('payload_not_found', `Terra storage has no document at the URL (${response.status})`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`Terra storage answered ${response.status}`);
    }
    const bytes = await boundedBytes(response, maxDocumentBytes);
    let parsed: unknown;
    try {
      parsed = decodeBody('json', bytes);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      throw new PermanentFetchError('malformed_body', `Terra document: ${error.detail}`, { cause: error });
    }
    if (!isObject(parsed)) throw new PermanentFetchError('malformed_body', 'Terra document is JSON but not an object');
    return parsed;
  }

  return {
    async fetchDocument(pointer, producedAt) {
      const raw = stringAt(pointer, 'url');
      if (raw === undefined) throw new RecordError('unmappable', 'Terra s3_payload message has no url');
      let url: URL;
      try {
        url = new URL(raw);
      } catch (error) {
        throw new RecordError('unmappable', 'Terra s3_payload url is not a URL', { cause: error });
      }
      if (!allowUrl(url)) throw new RecordError('unmappable', `Terra s3_payload url scheme or host is not allowed (${url.protocol})`);
      const expiresInMs = (numberAt(pointer, 'expires_in') ?? 600) * 1000;
      if (now() > producedAt + expiresInMs) {
        throw new RecordError('payload_expired', `pre-signed URL expired ${Math.round((now() - producedAt - expiresInMs) / 1000)} s before normalize read it`);
      }
      try {
        return await policy.execute(({ signal }) => fetchOnce(url, signal));
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw new DependencyUnavailableError(terraStorageDependency, halfOpenAfterMs, { cause: error });
        throw error;
      }
    },
  };
}
