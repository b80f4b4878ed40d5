import { VendorUnavailableError } from '../connections/oauth-errors.ts';
import { ConnectionRevokedError, ConnectionUnusableError, type Connection, type TokenSource } from '../connections/token-source.ts';
import { DependencyUnavailableError, RecordError } from '../streams/errors.ts';
import { TokenRejectedError, type ApiGet } from '../vendors/kit/api-get.ts';
import type { Lane, RateLimits } from './rate-limits.ts';
import { vendorWaitMs } from './retry-after.ts';
import type { VendorHttp } from './vendor-http.ts';

/** The dead-letter reason of a notification whose user must reconnect; redrive it after they do. */
export const connectionRevoked = 'connection_revoked';

export function revokedRecordError(vendor: string, cause?: unknown): RecordError {
  return new RecordError(connectionRevoked, `the ${vendor} connection is revoked or missing; redrive once the user reconnects`, cause === undefined ? undefined : { cause });
}

/**
 * The dead-letter reason of a notification whose connection only a fix can make usable again (a
 * token key, the vendor's OAuth client, a refresh the vendor refuses); redrive it once fixed.
 */
export const connectionError = 'connection_error';

function unusableRecordError(error: ConnectionUnusableError): RecordError {
  return new RecordError(connectionError, `the ${error.vendor} connection cannot be used: ${error.why}; redrive once fixed`, { cause: error });
}

/** How long a partition waits when the connections' store (or the vendor's token endpoint) fails, in ms. */
const tokenStoreRetryMs = 5_000;

/**
 * A call into the token source. A connection that only a fix can make usable is the dead letter
 * `connection_error`: waiting for it would hold every other user of the partition, and ask the
 * token endpoint again every few seconds without end. The other failures but a revoked grant are
 * the connections' store or the vendor's token endpoint being unavailable: the partition waits for
 * them rather than dead-lettering notifications that would succeed a moment later, for as long as
 * a token endpoint's Retry-After asks (held to the bounds of a resource API's).
 */
export async function fromTokens<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ConnectionRevokedError || error instanceof DependencyUnavailableError || error instanceof RecordError) throw error;
    if (error instanceof ConnectionUnusableError) throw unusableRecordError(error);
    const askedMs = error instanceof VendorUnavailableError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined;
    throw new DependencyUnavailableError('connections', askedMs === undefined ? tokenStoreRetryMs : vendorWaitMs(askedMs), { cause: error });
  }
}

/**
 * The ApiGet of one connection: every request takes from the rate limits first, carries the
 * connection's access token, and on a 401 asks the token source to refresh once and tries again.
 * A second 401, or a refresh the vendor refuses with `invalid_grant`, means the grant is gone:
 * `connection_revoked`; a refusal only a fix of the connection helps is `connection_error`.
 */
export function userApi(http: VendorHttp, tokens: TokenSource, limits: RateLimits, connection: Connection, lane: Lane = 'live'): ApiGet {
  let token: string | undefined;
  const revoked = (cause: unknown) => revokedRecordError(http.vendor, cause);
  return async (path, query) => {
    await limits.take(http.vendor, connection.vendorUserId, lane);
    try {
      token ??= await fromTokens(() => tokens.accessToken(connection));
      try {
        return await http.get(path, token, query);
      } catch (error) {
        if (!(error instanceof TokenRejectedError)) throw error;
        const rejected = token;
        token = await fromTokens(() => tokens.refreshAfterUnauthorized(connection, rejected));
      }
      await limits.take(http.vendor, connection.vendorUserId, lane);
      return await http.get(path, token, query);
    } catch (error) {
      if (error instanceof ConnectionRevokedError || error instanceof TokenRejectedError) throw revoked(error);
      throw error;
    }
  };
}
