import type { Env, VendorId } from '../config/schema.ts';
import { garminOAuth } from '../vendors/garmin/oauth.ts';
import { googleHealthOAuth } from '../vendors/google-health/oauth.ts';
import { ouraOAuth } from '../vendors/oura/oauth.ts';
import { polarOAuth } from '../vendors/polar/oauth.ts';
import { whoopOAuth } from '../vendors/whoop/oauth.ts';
import { withingsOAuth } from '../vendors/withings/oauth.ts';
import type { VendorClient } from './postgres-token-source.ts';
import { withBases, type VendorOAuth } from './vendor-oauth.ts';

/** The vendors users connect through OAuth (HealthKit is our own app, Terra brings its own). */
export const oauthVendors: ReadonlyMap<VendorId, VendorOAuth> = new Map(
  [ouraOAuth, whoopOAuth, polarOAuth, withingsOAuth, googleHealthOAuth, garminOAuth].map((oauth) => [oauth.vendor, oauth] as const),
);

export const vendorDisplayNames: Readonly<Partial<Record<VendorId, string>>> = {
  oura: 'Oura',
  whoop: 'WHOOP',
  polar: 'Polar',
  withings: 'Withings',
  'google-health': 'Google Health',
  garmin: 'Garmin',
};

/** The vendor apps configured with a client id and secret, their hosts overridden where set. */
export function vendorClientsFromConfig(config: Env): Map<VendorId, VendorClient> {
  const settings: Array<[VendorOAuth, string | undefined, string | undefined, string | undefined, string]> = [
    [ouraOAuth, config.OURA_CLIENT_ID, config.OURA_CLIENT_SECRET, config.OURA_AUTH_BASE_URL, config.OURA_API_BASE_URL],
    [whoopOAuth, config.WHOOP_CLIENT_ID, config.WHOOP_CLIENT_SECRET, config.WHOOP_AUTH_BASE_URL, config.WHOOP_API_BASE_URL],
    [polarOAuth, config.POLAR_CLIENT_ID, config.POLAR_CLIENT_SECRET, config.POLAR_AUTH_BASE_URL, config.POLAR_API_BASE_URL],
    [withingsOAuth, config.WITHINGS_CLIENT_ID, config.WITHINGS_CLIENT_SECRET, config.WITHINGS_AUTH_BASE_URL, config.WITHINGS_API_BASE_URL],
    [googleHealthOAuth, config.GOOGLE_HEALTH_CLIENT_ID, config.GOOGLE_HEALTH_CLIENT_SECRET, config.GOOGLE_HEALTH_AUTH_BASE_URL, config.GOOGLE_HEALTH_API_BASE_URL],
    [garminOAuth, config.GARMIN_CLIENT_ID, config.GARMIN_CLIENT_SECRET, config.GARMIN_AUTH_BASE_URL, config.GARMIN_API_BASE_URL],
  ];
  const clients = new Map<VendorId, VendorClient>();
  for (const [oauth, clientId, clientSecret, authBaseUrl, apiBaseUrl] of settings) {
    if (clientId === undefined || clientSecret === undefined) continue;
    // <VENDOR>_API_BASE_URL is the whole API base (the hydrate stage reads the same variable).
    clients.set(oauth.vendor, { oauth: { ...withBases(oauth, { authBaseUrl }), apiBaseUrl }, credentials: { clientId, clientSecret } });
  }
  return clients;
}
