import { retryAfterMs } from '../vendors/kit/retry-after.ts';
import { OAuthGrantError, plainErrorCode, VendorAnswerError, VendorUnavailableError } from './oauth-errors.ts';
import type { TokenAnswer, TokenGrant, VendorOAuth } from './vendor-oauth.ts';

/** Our app's registration with one vendor. */
export interface OAuthClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

const requestTimeoutMs = 15_000; // fifteen seconds: a refresh holds its connection's row lock meanwhile

export interface AuthorizeRequest {
  readonly redirectUri: string;
  readonly state: string;
  /** S256 challenge, sent only when the vendor supports PKCE. */
  readonly codeChallenge?: string;
}

export function authorizeUrl(oauth: VendorOAuth, credentials: OAuthClientCredentials, request: AuthorizeRequest): string {
  const url = new URL(oauth.authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', credentials.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  url.searchParams.set('state', request.state);
  if (oauth.scopes.length > 0) url.searchParams.set('scope', oauth.scopes.join(oauth.scopeSeparator));
  if (oauth.pkce && request.codeChallenge !== undefined) {
    url.searchParams.set('code_challenge', request.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  for (const [name, value] of Object.entries(oauth.authorizeParams ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

function retryAfter(response: Response): number | undefined {
  const ms = retryAfterMs(response.headers.get('retry-after'), Date.now());
  return ms === undefined ? undefined : Math.max(0, Math.ceil(ms / 1000));
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function standardAnswer(status: number, json: unknown): TokenAnswer {
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (status >= 200 && status < 300) return { ok: true, json: body };
  const error = typeof body['error'] === 'string' ? body['error'] : `http_${status}`;
  return { ok: false, error, retryable: status === 429 || status >= 500 };
}

function toGrant(oauth: VendorOAuth, json: Record<string, unknown>): TokenGrant {
  const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn, scope, ...fields } = json;
  if (typeof accessToken !== 'string' || accessToken === '') throw new VendorAnswerError(oauth.vendor, 'the token answer has no access_token');
  const expiresInSeconds = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : undefined;
  const scopes = typeof scope === 'string' ? scope.split(/[\s,]+/).filter((s) => s !== '') : undefined;
  return {
    accessToken,
    ...(typeof refreshToken === 'string' && refreshToken !== '' ? { refreshToken } : {}),
    ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
    ...(scopes === undefined ? {} : { scopes }),
    fields,
  };
}

async function tokenRequest(oauth: VendorOAuth, credentials: OAuthClientCredentials, params: Record<string, string>): Promise<TokenGrant> {
  const form = new URLSearchParams({ ...oauth.tokenParams, ...params });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (oauth.clientAuth === 'client_secret_basic') {
    const pair = `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`;
    headers['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.set('client_id', credentials.clientId);
    form.set('client_secret', credentials.clientSecret);
  }
  let response: Response;
  try {
    response = await fetch(oauth.tokenUrl, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(requestTimeoutMs) });
  } catch (error) {
    throw new VendorUnavailableError(oauth.vendor, 'token endpoint', undefined, undefined, { cause: (error as Error).name });
  }
  const json = await readJson(response);
  // A 2xx that is not JSON (a proxy's page) says nothing about the grant: asked again later.
  if (response.ok && json === undefined) throw new VendorUnavailableError(oauth.vendor, 'token endpoint (an answer that is not JSON)', response.status, retryAfter(response));
  const answer = response.ok && oauth.unwrapTokenResponse ? oauth.unwrapTokenResponse(json) : standardAnswer(response.status, json);
  if (answer.ok) return toGrant(oauth, answer.json);
  if (answer.retryable) throw new VendorUnavailableError(oauth.vendor, `token endpoint (${plainErrorCode(answer.error)})`, response.status, retryAfter(response));
  throw new OAuthGrantError(oauth.vendor, answer.error, response.status);
}

export function exchangeCode(
  oauth: VendorOAuth,
  credentials: OAuthClientCredentials,
  request: { readonly code: string; readonly redirectUri: string; readonly codeVerifier?: string },
): Promise<TokenGrant> {
  return tokenRequest(oauth, credentials, {
    grant_type: 'authorization_code',
    code: request.code,
    redirect_uri: request.redirectUri,
    ...(oauth.pkce && request.codeVerifier !== undefined ? { code_verifier: request.codeVerifier } : {}),
  });
}

export function refreshGrant(oauth: VendorOAuth, credentials: OAuthClientCredentials, refreshToken: string): Promise<TokenGrant> {
  return tokenRequest(oauth, credentials, { grant_type: 'refresh_token', refresh_token: refreshToken, ...oauth.refreshParams });
}

export function apiUrl(oauth: VendorOAuth, path: string): string {
  return `${oauth.apiBaseUrl.replace(/\/+$/, '')}${path}`;
}

async function apiCall(oauth: VendorOAuth, accessToken: string, path: string, init: { method: string; body?: unknown }): Promise<Response> {
  try {
    return await fetch(apiUrl(oauth, path), {
      method: init.method,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  } catch (error) {
    throw new VendorUnavailableError(oauth.vendor, path, undefined, undefined, { cause: (error as Error).name });
  }
}

/** The vendor's id for the user who just granted access (a token field, or one API call). */
export async function vendorUserIdFor(oauth: VendorOAuth, grant: TokenGrant): Promise<string> {
  const source = oauth.vendorUserId;
  let value: unknown;
  if (source.from === 'token-response') {
    value = grant.fields[source.field];
  } else {
    const response = await apiCall(oauth, grant.accessToken, source.path, { method: 'GET' });
    if (response.status === 429 || response.status >= 500) {
      throw new VendorUnavailableError(oauth.vendor, source.path, response.status, retryAfter(response));
    }
    if (!response.ok) throw new VendorAnswerError(oauth.vendor, `${source.path} answered ${response.status}`, response.status);
    const json = await readJson(response);
    value = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[source.field] : undefined;
  }
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  throw new VendorAnswerError(oauth.vendor, `no ${source.field} in the ${source.from === 'api' ? source.path : 'token'} answer`);
}

/** Polar: registers the user once with the API; 409 means it already was. */
export async function registerVendorUser(oauth: VendorOAuth, accessToken: string, memberId: string): Promise<void> {
  if (oauth.registerUser === undefined) return;
  const { path, body } = oauth.registerUser;
  const response = await apiCall(oauth, accessToken, path, { method: 'POST', body: body(memberId) });
  if (response.ok || response.status === 409) return;
  if (response.status === 429 || response.status >= 500) throw new VendorUnavailableError(oauth.vendor, path, response.status, retryAfter(response));
  throw new VendorAnswerError(oauth.vendor, `${path} answered ${response.status}`);
}
