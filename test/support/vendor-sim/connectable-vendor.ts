import { oauthVendors } from '../../../src/connections/index.ts';
import type { VendorApiSim } from './api-server.ts';
import { startOAuthSimulator, type OAuthSimulator, type SimVendor } from './oauth-server.ts';

/**
 * One vendor as a connected user meets it: its OAuth simulator (authorize, token, refresh) and
 * its data API on the API simulator, which accepts the tokens the OAuth simulator issued and
 * answers the user-id request the connect flow makes with the consenting user.
 */
export async function startConnectableVendor(api: VendorApiSim, vendor: SimVendor, vendorUserId: string): Promise<OAuthSimulator> {
  const oauth = await startOAuthSimulator({ vendor, vendorUserId });
  api.trust(vendor, oauth.accepts);
  const source = oauthVendors.get(vendor)?.vendorUserId;
  const answer = oauth.userIdAnswer();
  if (source?.from === 'api' && answer !== undefined) api.serve(vendor, source.path, answer);
  return oauth;
}

/** The variables that point a bridge process's connections and hydrate stage at the simulators. */
export function connectableVendorEnv(vendor: SimVendor, oauth: OAuthSimulator, api: VendorApiSim): Record<string, string> {
  const prefix = vendor.toUpperCase().replace(/-/g, '_');
  return {
    [`${prefix}_CLIENT_ID`]: oauth.clientId,
    [`${prefix}_CLIENT_SECRET`]: oauth.clientSecret,
    [`${prefix}_AUTH_BASE_URL`]: oauth.url,
    [`${prefix}_API_BASE_URL`]: api.baseUrl(vendor),
  };
}
