import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { VendorId } from '../../config/schema.ts';
import type { Logger } from '../../obs/logger.ts';
import type { ConnectionMetrics } from '../metrics.ts';
import { isVendorId, saveConnection } from '../connection-rows.ts';
import { authorizeUrl, exchangeCode, registerVendorUser, vendorUserIdFor } from '../oauth-client.ts';
import { OAuthGrantError, VendorAnswerError, VendorUnavailableError } from '../oauth-errors.ts';
import { vendorDisplayNames } from '../oauth-vendors.ts';
import type { VendorClient, VendorClients } from '../postgres-token-source.ts';
import { newNonce, pkceChallenge, pkceVerifier, signState, stateLifetimeSeconds, verifyConnectLink, verifyState } from '../signing.ts';
import type { TokenCipher } from '../token-cipher.ts';
import { redirect, sendPage } from './pages.ts';

export interface ConnectRoutesOptions {
  readonly pool: pg.Pool;
  readonly cipher: TokenCipher;
  readonly clients: VendorClients;
  /** CONNECT_LINK_SECRET: checks the app backend's links and signs our `state`. */
  readonly linkSecret: string;
  /** PUBLIC_BASE_URL: where browsers reach the ingress's base path; the redirect URL hangs off it. */
  readonly publicBaseUrl: string;
  readonly linkMaxAgeSeconds: number;
  readonly logger: Logger;
  /** Unix seconds; tests move the clock. */
  readonly nowSeconds?: () => number;
  readonly metrics?: ConnectionMetrics;
  /**
   * Told of every connection stored (the ingress queues its backfill). Not awaited by the page;
   * a failure is logged, the connection stays, and `bridge connections backfill` can redo it.
   */
  readonly onConnected?: (vendor: VendorId, vendorUserId: string) => Promise<void>;
}

/** Serves `<base>/connect/…`; `rest` is the request target after that prefix (path and query). */
export type ConnectRoutes = (req: IncomingMessage, res: ServerResponse, rest: string) => Promise<void>;

export function callbackUrl(publicBaseUrl: string, vendor: VendorId): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/connect/${vendor}/callback`;
}

/**
 * The two legs of a connection: `GET /connect/<vendor>?user&exp&sig` (a link our app backend
 * signed) → 302 to the vendor's consent page; `GET /connect/<vendor>/callback?code&state` → code
 * exchanged, vendor user id learned, tokens sealed into `vendor_connections`, a small page.
 * Nothing is kept between the legs: `state` is signed and carries the user, the vendor, the
 * expiry and the nonce the PKCE verifier is derived from.
 */
export function createConnectRoutes(options: ConnectRoutesOptions): ConnectRoutes {
  const log = options.logger.child({ component: 'connect' });
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const count: ConnectionMetrics['connect'] = (vendor, outcome) => options.metrics?.connect(vendor, outcome);

  function start(res: ServerResponse, vendor: VendorId, client: VendorClient, query: URLSearchParams): void {
    const link = verifyConnectLink(options.linkSecret, vendor, query, now(), options.linkMaxAgeSeconds);
    if (!link.ok) return sendPage(res, 403, 'This connect link is not valid', `${link.reason}.`);
    const nonce = newNonce();
    const state = signState(options.linkSecret, { userId: link.userId, vendor, nonce, expiresAtSeconds: now() + stateLifetimeSeconds });
    const target = authorizeUrl(client.oauth, client.credentials, {
      redirectUri: callbackUrl(options.publicBaseUrl, vendor),
      state,
      codeChallenge: pkceChallenge(pkceVerifier(options.linkSecret, nonce)),
    });
    redirect(res, target);
  }

  async function callback(res: ServerResponse, vendor: VendorId, client: VendorClient, query: URLSearchParams): Promise<void> {
    const name = vendorDisplayNames[vendor] ?? vendor;
    const stateText = query.get('state');
    if (!stateText) return sendPage(res, 400, 'Connection failed', 'The answer from the vendor has no state; start again from the app.');
    const state = verifyState(options.linkSecret, vendor, stateText, now());
    if (!state.ok) {
      count(vendor, 'bad_state');
      const why = state.reason === 'expired' ? 'The connection attempt took longer than ten minutes' : 'This answer was not started by us';
      return sendPage(res, 400, 'Connection failed', `${why}; start again from the app.`);
    }
    const error = query.get('error');
    if (error === 'access_denied') {
      count(vendor, 'declined');
      return sendPage(res, 403, `${name} was not connected`, `You declined access at ${name}. Start again from the app if you change your mind.`);
    }
    if (error) {
      count(vendor, 'vendor_error');
      log.warn({ vendor, vendorError: error.slice(0, 64) }, 'vendor refused the authorization');
      return sendPage(res, 502, 'Connection failed', `${name} reported a problem (${error.slice(0, 64)}); try again later.`);
    }
    const code = query.get('code');
    if (!code) return sendPage(res, 400, 'Connection failed', `The answer from ${name} has no authorization code; start again from the app.`);

    try {
      const grant = await exchangeCode(client.oauth, client.credentials, {
        code,
        redirectUri: callbackUrl(options.publicBaseUrl, vendor),
        codeVerifier: pkceVerifier(options.linkSecret, state.claims.nonce),
      });
      const vendorUserId = await vendorUserIdFor(client.oauth, grant);
      const connection = await saveConnection(options.pool, options.cipher, {
        vendor,
        vendorUserId,
        userId: state.claims.userId,
        scopes: grant.scopes ?? client.oauth.scopes,
        tokens: {
          accessToken: grant.accessToken,
          ...(grant.refreshToken === undefined ? {} : { refreshToken: grant.refreshToken }),
          ...(grant.expiresInSeconds === undefined ? {} : { expiresAt: new Date(Date.now() + grant.expiresInSeconds * 1000) }),
        },
      });
      try {
        // Polar's member-id is ours to choose: the connection id says nothing about the person.
        await registerVendorUser(client.oauth, grant.accessToken, connection.id);
      } catch (registration) {
        await options.pool.query(`UPDATE vendor_connections SET status = 'error', last_error = $2 WHERE id = $1`, [connection.id, (registration as Error).message.slice(0, 200)]);
        throw registration;
      }
      count(vendor, 'connected');
      log.info({ vendor, connectionId: connection.id }, 'vendor connected');
      options.onConnected?.(vendor, vendorUserId).catch((error: unknown) =>
        log.warn({ vendor, connectionId: connection.id, error: (error as Error).name }, 'queueing the new connection’s backfill failed; `bridge connections backfill` queues it'),
      );
      sendPage(res, 200, `${name} is connected`, `Your ${name} data will now reach the app. You can close this window.`);
    } catch (failure) {
      if (failure instanceof OAuthGrantError && failure.code === 'invalid_grant') {
        count(vendor, 'code_invalid');
        return sendPage(res, 400, 'Connection failed', `The authorization from ${name} was already used or has expired; start again from the app.`);
      }
      if (failure instanceof VendorAnswerError && (failure.status === 401 || failure.status === 403)) {
        // Oura lets the user untick scopes on its consent page; without the profile scope the
        // bridge cannot tell whose data arrives.
        count(vendor, 'declined');
        return sendPage(res, 403, `${name} was not connected`, `${name} did not let us read your account id. Connect again and keep the profile permission enabled.`);
      }
      if (failure instanceof OAuthGrantError || failure instanceof VendorUnavailableError || failure instanceof VendorAnswerError) {
        count(vendor, 'vendor_error');
        log.warn({ vendor, err: { message: failure.message } }, 'connecting a vendor account failed');
        return sendPage(res, 502, 'Connection failed', `${name} did not complete the connection; try again in a few minutes.`);
      }
      throw failure;
    }
  }

  return async (req, res, rest) => {
    const url = new URL(rest, 'http://connect.invalid/');
    const [vendorText = '', leg, extra] = url.pathname.slice(1).split('/');
    if (req.method !== 'GET') return sendPage(res, 405, 'Method not allowed', 'Connect links are opened in a browser (GET).', { allow: 'GET' });
    const client = isVendorId(vendorText) ? options.clients.get(vendorText) : undefined;
    if (client === undefined || extra !== undefined || (leg !== undefined && leg !== 'callback')) {
      return sendPage(res, 404, 'Not found', 'There is no such connect page; check the link.');
    }
    const vendor = client.oauth.vendor;
    try {
      if (leg === undefined) return start(res, vendor, client, url.searchParams);
      return await callback(res, vendor, client, url.searchParams);
    } catch (error) {
      // Postgres down, a key missing: the user can retry later; the operator sees why.
      log.error({ vendor, err: { message: (error as Error).message, name: (error as Error).name } }, 'connect request failed');
      if (!res.headersSent) sendPage(res, 503, 'Temporarily unavailable', 'The connection could not be saved right now; try again in a few minutes.', { 'retry-after': '60' });
    }
  };
}
