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
  scopes: ['personal', 'daily', 'heartrate', 'workout', 'session', 'spo2'],
  scopeSeparator: ' ',
  pkce: false,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: true,
  vendorUserId: { from: 'api', path: '/v2/usercollection/personal_info', field: 'id' },
};
