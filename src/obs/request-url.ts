import type { IncomingMessage } from 'node:http';

/**
 * The request's target as a URL, or undefined when it is not one. Node's HTTP parser lets through
 * targets the URL parser refuses (`//`, `//[`, `http://`): that is the client's mistake, to be
 * answered 400, not an error of ours (500), and never an exception in an event handler.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}

export const badTargetText = 'the request target is not a valid URL path';
