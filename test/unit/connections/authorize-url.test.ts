import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authorizeUrl } from '../../../src/connections/oauth-client.ts';
import { oauthVendors } from '../../../src/connections/oauth-vendors.ts';
import { withBases } from '../../../src/connections/vendor-oauth.ts';

const credentials = { clientId: 'client-1', clientSecret: 'not-in-any-url' };
const request = { redirectUri: 'https://bridge.example.com/connect/x/callback', state: 'signed-state', codeChallenge: 'challenge-1' };
const vendor = (id: string) => {
  const oauth = [...oauthVendors.values()].find((entry) => entry.vendor === id);
  if (oauth === undefined) throw new Error(`no OAuth descriptor for ${id}`);
  return oauth;
};

test('every OAuth vendor is registered once', () => {
  assert.equal([...oauthVendors.keys()].sort(), ['garmin', 'google-health', 'oura', 'polar', 'whoop', 'withings'], 'expected the six OAuth vendors');
});

test('the authorize URL carries code flow, client, redirect, state and the scopes, never the secret', () => {
  for (const oauth of oauthVendors.values()) {
    const url = new URL(authorizeUrl(oauth, credentials, request));
    assert.is(url.searchParams.get('response_type'), 'code', `${oauth.vendor}: expected the code flow`);
    assert.is(url.searchParams.get('client_id'), 'client-1', `${oauth.vendor}: expected our client id`);
    assert.is(url.searchParams.get('redirect_uri'), request.redirectUri, `${oauth.vendor}: expected the redirect URL`);
    assert.is(url.searchParams.get('state'), 'signed-state', `${oauth.vendor}: expected the state`);
    assert.not.ok(url.toString().includes('not-in-any-url'), `${oauth.vendor}: expected no client secret in the URL`);
  }
});

test('PKCE is sent only to vendors that support it', () => {
  for (const oauth of oauthVendors.values()) {
    const url = new URL(authorizeUrl(oauth, credentials, request));
    const expected = oauth.pkce ? 'S256' : null;
    assert.is(url.searchParams.get('code_challenge_method'), expected, `${oauth.vendor}: expected code_challenge_method ${expected}`);
  }
  assert.ok(vendor('garmin').pkce, 'expected Garmin to use PKCE (required there)');
});

test('vendor quirks: WHOOP asks for offline, Withings separates scopes with commas, Google asks for offline access', () => {
  const whoop = new URL(authorizeUrl(vendor('whoop'), credentials, request));
  assert.ok(whoop.searchParams.get('scope')?.split(' ').includes('offline'), 'expected offline in WHOOP scopes (refresh tokens)');
  const withings = new URL(authorizeUrl(vendor('withings'), credentials, request));
  assert.is(withings.searchParams.get('scope'), 'user.info,user.metrics,user.activity,user.sleepevents', 'expected comma-separated Withings scopes');
  const google = new URL(authorizeUrl(vendor('google-health'), credentials, request));
  assert.is(google.searchParams.get('access_type'), 'offline', 'expected access_type=offline for a refresh token');
  const garmin = new URL(authorizeUrl(vendor('garmin'), credentials, request));
  assert.is(garmin.searchParams.get('scope'), null, 'expected no scope parameter for Garmin');
});

test('base overrides replace the origin and keep the vendor paths', () => {
  const moved = withBases(vendor('oura'), { authBaseUrl: 'http://127.0.0.1:4000/', apiBaseUrl: 'http://127.0.0.1:4001' });
  assert.is(moved.authorizeUrl, 'http://127.0.0.1:4000/oauth/authorize', 'expected the authorize path on the new origin');
  assert.is(moved.tokenUrl, 'http://127.0.0.1:4000/oauth/token', 'expected the token path on the new origin');
  assert.is(moved.apiBaseUrl, 'http://127.0.0.1:4001/', 'expected the API origin replaced');
  const whoop = withBases(vendor('whoop'), { apiBaseUrl: 'http://127.0.0.1:4001' });
  assert.is(whoop.apiBaseUrl, 'http://127.0.0.1:4001/developer', 'expected WHOOP’s /developer prefix kept');
  assert.is(whoop.tokenUrl, 'https://api.prod.whoop.com/oauth/oauth2/token', 'expected the real token URL without an override');
});

test.run();
