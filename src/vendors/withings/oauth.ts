import type { TokenAnswer, VendorOAuth } from '../kit/oauth.ts';

// Withings answers HTTP 200 with its own status: 0 is success; 100–102, 200 and 401 are
// authentication failures (the grant is gone); 601 is its rate limit
// (developer.withings.com/api-reference, "Response status").
const grantGone = new Set([100, 101, 102, 200, 401]);

function unwrap(json: unknown): TokenAnswer {
  const answer = (json ?? {}) as { status?: unknown; body?: unknown };
  if (answer.status === 0 && typeof answer.body === 'object' && answer.body !== null) {
    return { ok: true, json: answer.body as Record<string, unknown> };
  }
  const status = typeof answer.status === 'number' ? answer.status : -1;
  if (grantGone.has(status)) return { ok: false, error: 'invalid_grant', retryable: false };
  return { ok: false, error: `withings_status_${status}`, retryable: status === 601 || status === -1 };
}

/**
 * Withings Public Health Data API (developer.withings.com/developer-guide/v3/integration-guide/
 * public-health-data-api/get-access/oauth-web-flow): authorize at account.withings.com, token via
 * `POST /v2/oauth2` with `action=requesttoken`, client id and secret in the body, scopes
 * comma-separated. The answer is wrapped in `{status, body}` and carries `userid`. Every refresh
 * returns a new refresh token; the old one dies 8 h later or once the new access token is used.
 */
export const withingsOAuth: VendorOAuth<'withings'> = {
  vendor: 'withings',
  authorizeUrl: 'https://account.withings.com/oauth2_user/authorize2',
  tokenUrl: 'https://wbsapi.withings.net/v2/oauth2',
  apiBaseUrl: 'https://wbsapi.withings.net',
  scopes: ['user.info', 'user.metrics', 'user.activity', 'user.sleepevents'],
  scopeSeparator: ',',
  pkce: false,
  clientAuth: 'client_secret_post',
  rotatesRefreshToken: true,
  tokenParams: { action: 'requesttoken' },
  vendorUserId: { from: 'token-response', field: 'userid' },
  unwrapTokenResponse: unwrap,
};
