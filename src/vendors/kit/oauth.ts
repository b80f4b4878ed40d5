
/** How the token endpoint authenticates our app (RFC 6749 §2.3.1). */
export type ClientAuth = 'client_secret_post' | 'client_secret_basic';

/** Where the vendor's user id comes from once the code is exchanged. */
export type VendorUserIdSource =
  /** A field of the token response itself (Withings `userid`, Polar `x_user_id`). */
  | { readonly from: 'token-response'; readonly field: string }
  /** A GET on the vendor API with the new access token (Oura personal_info, WHOOP profile). */
  | { readonly from: 'api'; readonly path: string; readonly field: string };

/** The fields of a token answer the bridge keeps (RFC 6749 §5.1). */
export interface TokenGrant {
  readonly accessToken: string;
  /** Absent when the vendor issues none (Polar) or does not rotate it on refresh (Google). */
  readonly refreshToken?: string;
  readonly expiresInSeconds?: number;
  readonly scopes?: readonly string[];
  /** Every field of the answer except the tokens, for a vendor user id carried in it. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * One vendor's OAuth 2.0 facts, from its public docs (cited in docs/vendors.md). The URLs are the
 * real hosts; `withBases` swaps their origin for a test simulator.
 */
export interface VendorOAuth<V extends string = string> {
  readonly vendor: V;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  /** Origin (and path prefix) of the vendor's data API. */
  readonly apiBaseUrl: string;
  readonly scopes: readonly string[];
  /** RFC 6749 says space; Withings wants commas. */
  readonly scopeSeparator: ' ' | ',';
  /** S256 PKCE is sent when the vendor supports it (Garmin requires it). */
  readonly pkce: boolean;
  readonly clientAuth: ClientAuth;
  /** The vendor issues a new refresh token on every refresh and the old one stops working. */
  readonly rotatesRefreshToken: boolean;
  /** Extra authorize parameters (Google: offline access and consent to get a refresh token). */
  readonly authorizeParams?: Readonly<Record<string, string>>;
  /** Extra token request parameters for both grants (Withings: action=requesttoken). */
  readonly tokenParams?: Readonly<Record<string, string>>;
  /** Extra parameters of a refresh only (WHOOP: scope=offline, or no new refresh token comes back). */
  readonly refreshParams?: Readonly<Record<string, string>>;
  readonly vendorUserId: VendorUserIdSource;
  /** A vendor that wraps the RFC 6749 answer (Withings: `{status, body}`) unwraps it here. */
  readonly unwrapTokenResponse?: (json: unknown) => TokenAnswer;
  /** Polar: a user must be registered with the API once before any data call. */
  readonly registerUser?: { readonly path: string; readonly body: (vendorUserId: string) => Record<string, unknown> };
}

/** A token endpoint answer reduced to success or an RFC 6749 §5.2 error code. */
export type TokenAnswer =
  | { readonly ok: true; readonly json: Record<string, unknown> }
  | { readonly ok: false; readonly error: string; readonly retryable: boolean };

export interface OAuthBases {
  readonly authBaseUrl?: string;
  readonly apiBaseUrl?: string;
}

function rebase(real: string, base: string | undefined): string {
  if (base === undefined) return real;
  const url = new URL(real);
  return `${base.replace(/\/+$/, '')}${url.pathname}${url.search}`;
}

/** The descriptor with its authorize/token origin and API origin replaced (tests: the simulator). */
export function withBases<V extends string>(oauth: VendorOAuth<V>, bases: OAuthBases): VendorOAuth<V> {
  return {
    ...oauth,
    authorizeUrl: rebase(oauth.authorizeUrl, bases.authBaseUrl),
    tokenUrl: rebase(oauth.tokenUrl, bases.authBaseUrl),
    apiBaseUrl: bases.apiBaseUrl === undefined ? oauth.apiBaseUrl : rebase(oauth.apiBaseUrl, bases.apiBaseUrl),
  };
}
