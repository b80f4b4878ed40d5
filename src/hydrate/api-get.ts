import type { JsonObject } from '../normalize/payload-fields.ts';

/**
 * One authorized GET on a vendor API for one user: token, refresh on 401, rate limits, retries
 * and breaker are already behind it. Resolves the JSON object the vendor answered; rejects with
 * ResourceGoneError when the vendor has no such resource (404/410).
 */
export type ApiGet = (path: string, query?: Readonly<Record<string, string>>) => Promise<JsonObject>;

/** The vendor answered 404 or 410: the resource was deleted after the notification was sent. */
export class ResourceGoneError extends Error {
  readonly status: number;
  constructor(vendor: string, status: number) {
    super(`${vendor} has no such resource any more (${status})`);
    this.name = 'ResourceGoneError';
    this.status = status;
  }
}

/** The vendor refused the access token (401): refresh once, then the connection is revoked. */
export class TokenRejectedError extends Error {
  constructor(vendor: string) {
    super(`${vendor} refused the access token (401)`);
    this.name = 'TokenRejectedError';
  }
}
