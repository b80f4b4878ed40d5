import type { IncomingMessage } from 'node:http';

/** How reading a request body ended; only `complete` carries the bytes. */
export type BodyOutcome =
  | { readonly kind: 'complete'; readonly body: Buffer }
  /** Grew past the limit: the caller answers 413. */
  | { readonly kind: 'too_large' }
  /** Not complete within the time allowed: the caller answers 408. */
  | { readonly kind: 'timeout' }
  /** The client went away mid-body: nobody is left to answer. */
  | { readonly kind: 'aborted' };

export interface ReadBodyOptions {
  readonly limitBytes: number;
  /** Counted from the call (the headers have arrived), in ms. */
  readonly timeoutMs: number;
}

/**
 * Reads a request body within a size and a time bound. Vendors give up after 1–10 s, so a body
 * still arriving after the bound is a stalled or hostile client and must not hold the connection.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let done = false;
    const finish = (outcome: BodyOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limitBytes) over = true;
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (over) return finish({ kind: 'too_large' });
      // A ~1 KB webhook arrives as one chunk: keep it rather than copy it.
      finish({ kind: 'complete', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    });
    // A disconnect mid-body shows as 'error' (ECONNRESET, "aborted") and 'close' without 'end'.
    req.on('error', () => finish({ kind: 'aborted' }));
    req.on('close', () => finish({ kind: 'aborted' }));
  });
}
