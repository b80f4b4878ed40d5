/**
 * A local stand-in for the vendors' OAuth 2.0 servers (authorize, token, the user-id endpoint),
 * a real HTTP server on loopback and port 0. Paths and answer shapes follow each vendor's public
 * docs (docs/vendors.md, "Connections (OAuth)"). Refresh tokens rotate where the vendor rotates
 * them: the old one answers `invalid_grant` afterwards. Answers can be scripted (401, 429 with
 * Retry-After, 5xx, slow) and refreshes are counted, so a test can assert "exactly one refresh".
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SimVendor = 'oura' | 'whoop' | 'polar' | 'withings' | 'google-health' | 'garmin';

interface Profile {
  readonly authorizePath: string;
  readonly tokenPath: string;
  readonly clientAuth: 'body' | 'basic';
  readonly pkceRequired: boolean;
  readonly issuesRefreshToken: boolean;
  readonly rotatesRefreshToken: boolean;
  /** Withings: HTTP 200 with `{status, body}`; a non-zero status is the error. */
  readonly wrapped: boolean;
  readonly userIdInToken?: string;
  readonly userIdEndpoint?: { readonly path: string; readonly answer: (vendorUserId: string) => Record<string, unknown> };
  readonly registrationPath?: string;
  readonly accessTokenTtlSeconds: number;
}

const profiles: Record<SimVendor, Profile> = {
  // cloud.ouraring.com/docs/authentication; personal_info per the v2 API reference.
  oura: {
    authorizePath: '/oauth/authorize',
    tokenPath: '/oauth/token',
    clientAuth: 'body',
    pkceRequired: false,
    issuesRefreshToken: true,
    rotatesRefreshToken: true,
    wrapped: false,
    userIdEndpoint: {
      path: '/v2/usercollection/personal_info',
      answer: (id) => ({ id, age: 31, weight: 74.2, height: 1.8, biological_sex: 'male', email: 'sleeper@example.com' }),
    },
    accessTokenTtlSeconds: 86_400,
  },
  // developer.whoop.com/docs/developing/oauth; profile per the v2 API reference (user_id is int64).
  whoop: {
    authorizePath: '/oauth/oauth2/auth',
    tokenPath: '/oauth/oauth2/token',
    clientAuth: 'body',
    pkceRequired: false,
    issuesRefreshToken: true,
    rotatesRefreshToken: true,
    wrapped: false,
    userIdEndpoint: {
      path: '/developer/v2/user/profile/basic',
      answer: (id) => ({ user_id: Number(id), email: 'athlete@example.com', first_name: 'Pat', last_name: 'Doe' }),
    },
    accessTokenTtlSeconds: 3_600,
  },
  // www.polar.com/accesslink-api: Basic client auth, x_user_id in the token answer, no refresh token.
  polar: {
    authorizePath: '/oauth2/authorization',
    tokenPath: '/v2/oauth2/token',
    clientAuth: 'basic',
    pkceRequired: false,
    issuesRefreshToken: false,
    rotatesRefreshToken: false,
    wrapped: false,
    userIdInToken: 'x_user_id',
    registrationPath: '/v3/users',
    accessTokenTtlSeconds: 315_359_999,
  },
  // developer.withings.com: POST /v2/oauth2 action=requesttoken, answer wrapped in {status, body}.
  withings: {
    authorizePath: '/oauth2_user/authorize2',
    tokenPath: '/v2/oauth2',
    clientAuth: 'body',
    pkceRequired: false,
    issuesRefreshToken: true,
    rotatesRefreshToken: true,
    wrapped: true,
    userIdInToken: 'userid',
    accessTokenTtlSeconds: 10_800,
  },
  // Google OAuth 2.0 for web server apps; users.getIdentity of the Google Health API.
  'google-health': {
    authorizePath: '/o/oauth2/v2/auth',
    tokenPath: '/token',
    clientAuth: 'body',
    pkceRequired: false,
    issuesRefreshToken: true,
    rotatesRefreshToken: false,
    wrapped: false,
    userIdEndpoint: { path: '/v4/users/me/identity', answer: (id) => ({ name: 'users/me/identity', healthUserId: id, legacyUserId: 'ABC123' }) },
    accessTokenTtlSeconds: 3_599,
  },
  // Garmin OAuth 2.0 PKCE specification: PKCE required; user id from the Wellness API.
  garmin: {
    authorizePath: '/oauth2Confirm',
    tokenPath: '/di-oauth2-service/oauth/token',
    clientAuth: 'body',
    pkceRequired: true,
    issuesRefreshToken: true,
    rotatesRefreshToken: true,
    wrapped: false,
    userIdEndpoint: { path: '/wellness-api/rest/user/id', answer: (id) => ({ userId: id }) },
    accessTokenTtlSeconds: 86_400,
  },
};

/** A scripted answer, used once, before the endpoint's normal behaviour. */
export type ScriptedAnswer =
  | { readonly status: number; readonly body?: unknown; readonly retryAfter?: string }
  /** A page that is not JSON, as a proxy in front of the endpoint answers. */
  | { readonly status: number; readonly html: string }
  | { readonly delayMs: number };

export type SimEndpoint = 'token' | 'user-id';

export interface SimSubscription {
  id: string;
  callback_url: string;
  event_type: string;
  data_type: string;
  expiration_time: string;
}

export interface OAuthSimulatorOptions {
  readonly vendor: SimVendor;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** The vendor account that consents on the authorize page. */
  readonly vendorUserId?: string;
  readonly accessTokenTtlSeconds?: number;
}

export interface OAuthSimulator {
  /** Origin of the simulator: the value of <VENDOR>_AUTH_BASE_URL and <VENDOR>_API_BASE_URL in tests. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  vendorUserId: string;
  /** Successful refresh_token grants so far. */
  readonly refreshes: number;
  /** Every refresh_token grant request, answered or refused. */
  readonly refreshAttempts: number;
  /** The query of the last authorize request. */
  readonly lastAuthorize: URLSearchParams | undefined;
  /** The form of the last token request (client secret removed). */
  readonly lastTokenForm: URLSearchParams | undefined;
  /** Every access and refresh token issued, to prove none is stored or logged in clear. */
  readonly issuedTokens: readonly string[];
  /** The next authorize answers `error=access_denied`, as when the user declines. */
  denyNextAuthorization(): void;
  script(endpoint: SimEndpoint, ...answers: ScriptedAnswer[]): void;
  /** True while `accessToken` is one this server issued and it has not expired. */
  accepts(accessToken: string): boolean;
  /** What the vendor's user-id endpoint answers for the consenting user (undefined: the id comes with the token). */
  userIdAnswer(): Record<string, unknown> | undefined;
  /** Every access token issued so far stops working (401). */
  expireAccessTokens(): void;
  /** The user revoked the app: every refresh token answers invalid_grant. */
  revokeGrants(): void;
  /** Oura's per-app webhook subscriptions (`/v2/webhook/subscription`), as the app would list them. */
  readonly subscriptions: SimSubscription[];
  /** Follows the authorize redirect as a consenting user's browser would; returns the callback URL. */
  authorize(authorizeUrl: string): Promise<string>;
  close(): Promise<void>;
}

const token = () => randomBytes(24).toString('base64url');

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOAuthSimulator(options: OAuthSimulatorOptions): Promise<OAuthSimulator> {
  const profile = profiles[options.vendor];
  const clientId = options.clientId ?? `sim-${options.vendor}-client`;
  const clientSecret = options.clientSecret ?? token();
  const ttl = options.accessTokenTtlSeconds ?? profile.accessTokenTtlSeconds;
  const codes = new Map<string, { redirectUri: string; challenge: string | undefined; vendorUserId: string }>();
  const accessTokens = new Map<string, { vendorUserId: string; expiresAtMs: number }>();
  const refreshTokens = new Map<string, string>(); // refresh token → vendor user id
  const registered = new Set<string>();
  const scripts: Record<SimEndpoint, ScriptedAnswer[]> = { token: [], 'user-id': [] };
  const issuedTokens: string[] = [];
  let refreshes = 0;
  let refreshAttempts = 0;
  let denyNext = false;
  let lastAuthorize: URLSearchParams | undefined;
  let lastTokenForm: URLSearchParams | undefined;

  const state = { vendorUserId: options.vendorUserId ?? (options.vendor === 'whoop' || options.vendor === 'polar' || options.vendor === 'withings' ? '10129' : `sim-user-${token().slice(0, 6)}`) };

  /** True when a scripted answer was sent (and the request is done). */
  async function scripted(endpoint: SimEndpoint, res: ServerResponse): Promise<boolean> {
    const next = scripts[endpoint].shift();
    if (next === undefined) return false;
    if ('delayMs' in next) {
      await new Promise((resolve) => setTimeout(resolve, next.delayMs));
      return false;
    }
    if ('html' in next) {
      res.writeHead(next.status, { 'content-type': 'text/html' });
      res.end(next.html);
      return true;
    }
    send(res, next.status, next.body ?? { error: next.status === 429 ? 'rate_limited' : 'server_error' }, next.retryAfter === undefined ? {} : { 'retry-after': next.retryAfter });
    return true;
  }

  function tokenError(res: ServerResponse, status: number, error: string): void {
    // Withings answers 200 with its own status code; 401 there means the grant is not valid.
    if (profile.wrapped) return send(res, 200, { status: error === 'invalid_grant' ? 401 : 503, body: {}, error });
    send(res, status, { error, error_description: `simulated ${error}` });
  }

  function issue(res: ServerResponse, vendorUserId: string): void {
    const access = token();
    issuedTokens.push(access);
    accessTokens.set(access, { vendorUserId, expiresAtMs: Date.now() + ttl * 1000 });
    const answer: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: ttl, scope: 'granted' };
    if (profile.issuesRefreshToken) {
      const refresh = token();
      issuedTokens.push(refresh);
      refreshTokens.set(refresh, vendorUserId);
      answer['refresh_token'] = refresh;
    }
    if (profile.userIdInToken) answer[profile.userIdInToken] = Number.isNaN(Number(vendorUserId)) ? vendorUserId : Number(vendorUserId);
    send(res, 200, profile.wrapped ? { status: 0, body: answer } : answer);
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const grant = form.get('grant_type');
    if (grant === 'refresh_token') refreshAttempts++;
    if (await scripted('token', res)) return;
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    if (profile.clientAuth === 'basic') {
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const [user, pass] = basic === undefined ? [] : Buffer.from(basic, 'base64').toString('utf8').split(':');
      id = user === undefined ? null : decodeURIComponent(user);
      secret = pass === undefined ? null : decodeURIComponent(pass);
    }
    form.delete('client_secret');
    lastTokenForm = form;
    if (id !== clientId || secret !== clientSecret) return tokenError(res, 401, 'invalid_client');
    if (profile.wrapped && form.get('action') !== 'requesttoken') return send(res, 200, { status: 2554, body: {}, error: 'unknown action' });
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? ''); // codes are single use
      if (code === undefined || code.redirectUri !== form.get('redirect_uri')) return tokenError(res, 400, 'invalid_grant');
      if (code.challenge !== undefined) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return tokenError(res, 400, 'invalid_grant');
      }
      return issue(res, code.vendorUserId);
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const vendorUserId = refreshTokens.get(presented);
      if (vendorUserId === undefined) return tokenError(res, 400, 'invalid_grant');
      refreshes++;
      if (profile.rotatesRefreshToken) {
        refreshTokens.delete(presented);
        return issue(res, vendorUserId);
      }
      const access = token();
      issuedTokens.push(access);
      accessTokens.set(access, { vendorUserId, expiresAtMs: Date.now() + ttl * 1000 });
      return send(res, 200, { access_token: access, token_type: 'Bearer', expires_in: ttl });
    }
    tokenError(res, 400, 'unsupported_grant_type');
  }

  /** The holder of an access token this server issued, while it has not expired. */
  function holder(accessToken: string): { vendorUserId: string } | undefined {
    const known = accessTokens.get(accessToken);
    return known !== undefined && known.expiresAtMs > Date.now() ? known : undefined;
  }

  function bearer(req: IncomingMessage): { vendorUserId: string } | undefined {
    const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return presented === undefined ? undefined : holder(presented);
  }

  const subscriptions: SimSubscription[] = [];
  const subscriptionLifetimeMs = 90 * 86_400_000; // Oura's subscriptions lapse unless renewed

  /** Oura's webhook subscription routes, authenticated per app with x-client-id / x-client-secret. */
  async function subscriptionRoutes(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.headers['x-client-id'] !== clientId || req.headers['x-client-secret'] !== clientSecret) {
      return send(res, 403, { status: 403, title: 'Forbidden', detail: 'invalid client credentials' });
    }
    if (req.method === 'GET' && path === '/v2/webhook/subscription') return send(res, 200, subscriptions);
    if (req.method === 'POST' && path === '/v2/webhook/subscription') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
      if (!body['callback_url'] || !body['verification_token'] || !body['event_type'] || !body['data_type']) {
        return send(res, 422, { detail: [{ msg: 'field required' }] });
      }
      const created = {
        id: token().slice(0, 12),
        callback_url: body['callback_url'],
        event_type: body['event_type'],
        data_type: body['data_type'],
        expiration_time: new Date(Date.now() + subscriptionLifetimeMs).toISOString(),
      };
      subscriptions.push(created);
      return send(res, 201, created);
    }
    const deleted = /^\/v2\/webhook\/subscription\/([^/]+)$/.exec(path);
    const index = deleted === null ? -1 : subscriptions.findIndex((s) => s.id === decodeURIComponent(deleted[1]!));
    if (req.method === 'DELETE' && index >= 0) {
      subscriptions.splice(index, 1);
      res.writeHead(204).end();
      return;
    }
    const renew = /^\/v2\/webhook\/subscription\/renew\/([^/]+)$/.exec(path);
    const subscription = renew === null ? undefined : subscriptions.find((s) => s.id === decodeURIComponent(renew[1]!));
    if (req.method === 'PUT' && subscription !== undefined) {
      subscription.expiration_time = new Date(Date.now() + subscriptionLifetimeMs).toISOString();
      return send(res, 200, subscription);
    }
    send(res, 404, { status: 404, title: 'Not Found' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const handle = async () => {
      if (options.vendor === 'oura' && url.pathname.startsWith('/v2/webhook/subscription')) return subscriptionRoutes(req, res, url.pathname);
      if (req.method === 'GET' && url.pathname === profile.authorizePath) {
        lastAuthorize = url.searchParams;
        const redirectUri = url.searchParams.get('redirect_uri');
        if (url.searchParams.get('client_id') !== clientId || !redirectUri) return send(res, 400, { error: 'invalid_request' });
        const target = new URL(redirectUri);
        const stateParam = url.searchParams.get('state');
        if (stateParam !== null) target.searchParams.set('state', stateParam);
        const challenge = url.searchParams.get('code_challenge') ?? undefined;
        if (denyNext || (profile.pkceRequired && (challenge === undefined || url.searchParams.get('code_challenge_method') !== 'S256'))) {
          target.searchParams.set('error', denyNext ? 'access_denied' : 'invalid_request');
          denyNext = false;
        } else {
          const code = token();
          codes.set(code, { redirectUri, challenge, vendorUserId: state.vendorUserId });
          target.searchParams.set('code', code);
        }
        res.writeHead(302, { location: target.toString() });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === profile.tokenPath) return tokenEndpoint(req, res);
      if (req.method === 'GET' && url.pathname === profile.userIdEndpoint?.path) {
        if (await scripted('user-id', res)) return;
        const caller = bearer(req);
        if (caller === undefined) return send(res, 401, { status: 401, title: 'Unauthorized', detail: 'invalid or expired access token' });
        return send(res, 200, profile.userIdEndpoint.answer(caller.vendorUserId));
      }
      if (req.method === 'POST' && url.pathname === profile.registrationPath) {
        const caller = bearer(req);
        if (caller === undefined) return send(res, 401, { error: 'unauthorized' });
        if (registered.has(caller.vendorUserId)) return send(res, 409, { error: 'user already registered' });
        registered.add(caller.vendorUserId);
        return send(res, 200, { 'polar-user-id': Number(caller.vendorUserId), 'member-id': 'registered' });
      }
      send(res, 404, { error: 'not found' });
    };
    handle().catch((error: unknown) => send(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    get vendorUserId() {
      return state.vendorUserId;
    },
    set vendorUserId(id: string) {
      state.vendorUserId = id;
    },
    get refreshes() {
      return refreshes;
    },
    get refreshAttempts() {
      return refreshAttempts;
    },
    get lastAuthorize() {
      return lastAuthorize;
    },
    get lastTokenForm() {
      return lastTokenForm;
    },
    issuedTokens,
    subscriptions,
    denyNextAuthorization() {
      denyNext = true;
    },
    script(endpoint, ...answers) {
      scripts[endpoint].push(...answers);
    },
    accepts: (accessToken) => holder(accessToken) !== undefined,
    userIdAnswer() {
      return profile.userIdEndpoint?.answer(state.vendorUserId);
    },
    expireAccessTokens() {
      for (const entry of accessTokens.values()) entry.expiresAtMs = 0;
    },
    revokeGrants() {
      refreshTokens.clear();
    },
    async authorize(authorizeUrl) {
      const response = await fetch(authorizeUrl, { redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status !== 302 || location === null) throw new Error(`the simulated authorize page answered ${response.status}, not a redirect`);
      return location;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
