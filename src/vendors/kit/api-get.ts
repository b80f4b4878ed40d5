import { isObject, type JsonObject } from './payload-fields.ts';
import { RecordError } from '../../streams/errors.ts';

/** A vendor API answer: a JSON object, or a list (Garmin's pulls answer with arrays). */
export type JsonResponse = JsonObject | unknown[];

/**
 * One authorized GET on a vendor API for one user: token, refresh on 401, rate limits, retries
 * and breaker are already behind it. Resolves the JSON the vendor answered; rejects with
 * ResourceGoneError when the vendor has no such resource (404/410).
 */
export type ApiGet = (path: string, query?: Readonly<Record<string, string>>) => Promise<JsonResponse>;

/** The answer as an object; a list where the vendor documents an object is a malformed resource. */
export function objectAnswer(vendor: string, answer: JsonResponse): JsonObject {
  if (!isObject(answer)) throw new RecordError('malformed_resource', `${vendor} answered a list where its API documents an object`);
  return answer;
}

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
