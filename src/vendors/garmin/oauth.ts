import type { VendorOAuth } from '../kit/oauth.ts';

/**
 * Garmin Connect Developer Program, OAuth 2.0 PKCE specification (developer portal, behind the
 * program's login; its URLs appear in many public integrations): PKCE S256 is required, client
 * id and secret go in the form body, the user picks the permissions on Garmin's consent page
 * (no scope parameter). Refresh answers carry a new refresh token. The user id is
 * `GET /wellness-api/rest/user/id` → `userId`, the id Garmin's pushes and pings carry.
 */
export const garminOAuth: VendorOAuth<'garmin'> = {
  vendor: 'garmin',
  authorizeUrl: 'https://connect.garmin.com/oauth2Confirm',
  tokenUrl: 'https://diauth.garmin.com/di-oauth2-service/oauth/token',
  apiBaseUrl: 'https://apis.garmin.com',
  scopes: [],
  scopeSeparator: ' ',
  pkce: true,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: true,
  vendorUserId: { from: 'api', path: '/wellness-api/rest/user/id', field: 'userId' },
};
