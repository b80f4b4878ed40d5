import type { VendorOAuth } from '../kit/oauth.ts';

/**
 * WHOOP developer API (developer.whoop.com/docs/developing/oauth): code flow, client id and
 * secret in the form body; `offline` is what yields a refresh token, and a refresh must ask for
 * it again (developer.whoop.com/docs/tutorials/refresh-token-javascript). Each refresh returns a
 * new refresh token. `state` must be at least 8 characters (ours is far longer). The user id is
 * `GET /developer/v2/user/profile/basic` → `user_id` (an integer, kept as text).
 */
export const whoopOAuth: VendorOAuth<'whoop'> = {
  vendor: 'whoop',
  authorizeUrl: 'https://api.prod.whoop.com/oauth/oauth2/auth',
  tokenUrl: 'https://api.prod.whoop.com/oauth/oauth2/token',
  apiBaseUrl: 'https://api.prod.whoop.com/developer',
  scopes: ['offline', 'read:recovery', 'read:cycles', 'read:sleep', 'read:workout', 'read:profile', 'read:body_measurement'],
  scopeSeparator: ' ',
  pkce: false,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: true,
  refreshParams: { scope: 'offline' },
  vendorUserId: { from: 'api', path: '/v2/user/profile/basic', field: 'user_id' },
};
