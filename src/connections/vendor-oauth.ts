import type { VendorId } from '../config/schema.ts';
import type { VendorOAuth as AnyVendorOAuth } from '../vendors/kit/oauth.ts';

/** A vendor's OAuth facts (declared beside the vendor, src/vendors/<vendor>/oauth.ts), for a known vendor. */
export type VendorOAuth = AnyVendorOAuth<VendorId>;
export type { ClientAuth, OAuthBases, TokenAnswer, TokenGrant, VendorUserIdSource } from '../vendors/kit/oauth.ts';
export { withBases } from '../vendors/kit/oauth.ts';
