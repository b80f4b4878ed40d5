import type { VendorOAuth } from '../kit/oauth.ts';

/**
 * Oura API v2 (cloud.ouraring.com/docs/authentication): server-side code flow, client id and
 * secret in the form body, no PKCE documented. A refresh token "can only be used once"
 * (cloud.ouraring.com/docs/error-handling), so refreshes rotate it. The user id is
 * `GET /v2/usercollection/personal_info` → `id`.
 */
export const ouraOAuth: VendorOAuth<'oura'> = {
  vendor: 'oura',
  authorizeUrl: 'https://cloud.ouraring.com/oauth/authorize',
  tokenUrl: 'https://api.ouraring.com/oauth/token',
  apiBaseUrl: 'https://api.ouraring.com',
  // Only what the mapped data types need (ouraMappedDataTypes: the daily summaries and sleep
  // periods), and `personal` for the user id: Oura's own advice, and a user may turn any off.
  scopes: ['personal', 'daily'],
  scopeSeparator: ' ',
  pkce: false,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: true,
  vendorUserId: { from: 'api', path: '/v2/usercollection/personal_info', field: 'id' },
};
