import type { VendorOAuth } from '../kit/oauth.ts';

/**
 * Polar AccessLink v3 (www.polar.com/accesslink-api/#authorization): code flow at flow.polar.com,
 * token at polarremote.com with HTTP Basic client authentication. The answer carries the user id
 * as `x_user_id` and a long-lived access token without a refresh token, so a 401 means the user
 * must reconnect. A user is registered once (`POST /v3/users` with our `member-id`; 409 = already
 * registered) before any data call.
 */
export const polarOAuth: VendorOAuth<'polar'> = {
  vendor: 'polar',
  authorizeUrl: 'https://flow.polar.com/oauth2/authorization',
  tokenUrl: 'https://polarremote.com/v2/oauth2/token',
  apiBaseUrl: 'https://www.polaraccesslink.com',
  scopes: ['accesslink.read_all'],
  scopeSeparator: ' ',
  pkce: false,
  clientAuth: 'client_secret_basic',
  rotatesRefreshToken: false,
  vendorUserId: { from: 'token-response', field: 'x_user_id' },
  registerUser: { path: '/v3/users', body: (memberId) => ({ 'member-id': memberId }) },
};
