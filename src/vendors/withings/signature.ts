import { accepted, type SignatureScheme } from '../kit/webhook.ts';

/**
 * Withings notifications carry no signature and no secret. Authenticity rests on the source
 * network (Withings publishes its addresses) and a connected `userid`, both checked by verify.
 */
export const withingsSignature: SignatureScheme = () => accepted();
