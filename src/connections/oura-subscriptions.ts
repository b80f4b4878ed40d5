import { apiUrl } from './oauth-client.ts';
import { VendorAnswerError, VendorUnavailableError } from './oauth-errors.ts';
import type { OAuthClientCredentials } from './oauth-client.ts';
import type { VendorOAuth } from './vendor-oauth.ts';
import { ouraMappedDataTypes } from '../vendors/oura/mapping.ts';

/**
 * Oura's webhook subscriptions are per app, not per user (`x-client-id`/`x-client-secret`), one
 * per event type × data type, and they expire: `GET|POST /v2/webhook/subscription`,
 * `PUT /v2/webhook/subscription/renew/{id}` (cloud.ouraring.com/v2/docs#tag/Webhook-Subscription-Routes).
 */
export interface OuraSubscription {
  readonly id: string;
  readonly callback_url: string;
  readonly event_type: string;
  readonly data_type: string;
  readonly expiration_time: string;
}

/** The data types the bridge maps, and every change to them (a delete becomes a soft delete). */
export const ouraSubscriptionDataTypes = ouraMappedDataTypes;
export const ouraSubscriptionEventTypes = ['create', 'update', 'delete'] as const;

export interface SubscribeOuraOptions {
  readonly oauth: VendorOAuth;
  readonly credentials: OAuthClientCredentials;
  /** `<public ingress URL>/webhooks/oura`. */
  readonly callbackUrl: string;
  /** OURA_VERIFICATION_TOKEN: Oura echoes it in the handshake the ingress answers. */
  readonly verificationToken: string;
  /** Renew subscriptions that expire within this many ms. */
  readonly renewWithinMs?: number;
  readonly now?: () => number;
}

export interface SubscribeOuraResult {
  readonly created: readonly string[];
  readonly renewed: readonly string[];
  readonly kept: readonly string[];
  /** Ours to a data type the bridge maps no more (or never did): deleted, so Oura stops notifying it. */
  readonly removed: readonly string[];
}

async function call(options: SubscribeOuraOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(apiUrl(options.oauth, path), {
      method,
      headers: {
        'x-client-id': options.credentials.clientId,
        'x-client-secret': options.credentials.clientSecret,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000), // creation waits for Oura's handshake with our ingress
    });
  } catch (error) {
    throw new VendorUnavailableError('oura', `${method} ${path}`, undefined, undefined, { cause: (error as Error).name });
  }
  if (response.status === 429 || response.status >= 500) throw new VendorUnavailableError('oura', `${method} ${path}`, response.status);
  const text = await response.text();
  // Only the status: a validation error may echo the request, and the request carries our token.
  if (!response.ok) throw new VendorAnswerError('oura', `${method} ${path} answered ${response.status}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

const label = (s: { event_type: string; data_type: string }) => `${s.event_type} ${s.data_type}`;

/**
 * Idempotent: creates the missing event × data type subscriptions for our callback, renews ours
 * that expire soon, deletes ours to data types the bridge does not map (each notification of
 * those cost a request of the app's rate budget and ended a dead letter) and leaves the rest
 * alone. Subscriptions to other callbacks are not touched.
 */
export async function subscribeOura(options: SubscribeOuraOptions): Promise<SubscribeOuraResult> {
  const now = options.now ?? Date.now;
  const renewWithin = options.renewWithinMs ?? 7 * 86_400_000; // a week
  const listed = await call(options, 'GET', '/v2/webhook/subscription');
  if (!Array.isArray(listed)) throw new VendorAnswerError('oura', 'the subscription list is not an array');
  const ours = (listed as OuraSubscription[]).filter((s) => s.callback_url === options.callbackUrl);
  const created: string[] = [];
  const renewed: string[] = [];
  const kept: string[] = [];
  for (const event_type of ouraSubscriptionEventTypes) {
    for (const data_type of ouraSubscriptionDataTypes) {
      const existing = ours.find((s) => s.event_type === event_type && s.data_type === data_type);
      if (existing === undefined) {
        await call(options, 'POST', '/v2/webhook/subscription', { callback_url: options.callbackUrl, verification_token: options.verificationToken, event_type, data_type });
        created.push(label({ event_type, data_type }));
      } else if (Date.parse(existing.expiration_time) - now() < renewWithin) {
        await call(options, 'PUT', `/v2/webhook/subscription/renew/${encodeURIComponent(existing.id)}`);
        renewed.push(label(existing));
      } else {
        kept.push(label(existing));
      }
    }
  }
  const removed: string[] = [];
  const wanted: ReadonlySet<string> = new Set(ouraSubscriptionDataTypes);
  for (const stale of ours.filter((s) => !wanted.has(s.data_type))) {
    await call(options, 'DELETE', `/v2/webhook/subscription/${encodeURIComponent(stale.id)}`);
    removed.push(label(stale));
  }
  return { created, renewed, kept, removed };
}
