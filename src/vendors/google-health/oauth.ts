import type { VendorOAuth } from '../kit/oauth.ts';

const scope = (name: string) => `https://www.googleapis.com/auth/googlehealth.${name}`;

/**
 * Google Health API (developers.google.com/health/scopes; Google's OAuth 2.0 for web server
 * apps, developers.google.com/identity/protocols/oauth2/web-server): PKCE S256 supported, client
 * secret in the body, `access_type=offline` + `prompt=consent` so a refresh token is issued.
 * Refresh answers carry no new refresh token (it does not rotate). The user id is
 * `GET /v4/users/me/identity` → `healthUserId`, the id in the API's resource names.
 */
export const googleHealthOAuth: VendorOAuth<'google-health'> = {
  vendor: 'google-health',
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  apiBaseUrl: 'https://health.googleapis.com',
  scopes: [scope('activity_and_fitness.readonly'), scope('health_metrics_and_measurements.readonly')],
  scopeSeparator: ' ',
  pkce: true,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: false,
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
  vendorUserId: { from: 'api', path: '/v4/users/me/identity', field: 'healthUserId' },
};
