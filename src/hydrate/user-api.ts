import { ConnectionRevokedError, type Connection, type TokenSource } from '../connections/token-source.ts';
import { RecordError } from '../streams/errors.ts';
import { TokenRejectedError, type ApiGet } from './api-get.ts';
import type { RateLimits } from './rate-limits.ts';
import type { VendorHttp } from './vendor-http.ts';

/** The dead-letter reason of a notification whose user must reconnect; redrive it after they do. */
export const connectionRevoked = 'connection_revoked';

export function revokedRecordError(vendor: string, cause?: unknown): RecordError {
  return new RecordError(connectionRevoked, `the ${vendor} connection is revoked or missing; redrive once the user reconnects`, cause === undefined ? undefined : { cause });
}

/**
 * The ApiGet of one connection: every request takes from the rate limits first, carries the
 * connection's access token, and on a 401 asks the token source to refresh once and tries again.
 * A second 401, or a refresh the vendor refuses, means the grant is gone: `connection_revoked`.
 */
export function userApi(http: VendorHttp, tokens: TokenSource, limits: RateLimits, connection: Connection): ApiGet {
  let token: string | undefined;
  const revoked = (cause: unknown) => revokedRecordError(http.vendor, cause);
  return async (path, query) => {
    await limits.take(http.vendor, connection.vendorUserId);
    try {
      token ??= await tokens.accessToken(connection);
      try {
        return await http.get(path, token, query);
      } catch (error) {
        if (!(error instanceof TokenRejectedError)) throw error;
        token = await tokens.refreshAfterUnauthorized(connection, token);
      }
      await limits.take(http.vendor, connection.vendorUserId);
      return await http.get(path, token, query);
    } catch (error) {
      if (error instanceof ConnectionRevokedError || error instanceof TokenRejectedError) throw revoked(error);
      throw error;
    }
  };
}
