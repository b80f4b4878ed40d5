import { smallJson, type PostHandshake } from '../kit/handshake.ts';
import { authorizationMatches } from './signature.ts';

/**
 * Google Health's two verification POSTs of `{"type":"verification"}`: 201 with our
 * Authorization, 401 without (https://developers.google.com/health/webhooks).
 */
export const googleHealthVerification: PostHandshake = ({ authorization, body }, settings) => {
  const parsed = smallJson(body);
  if (typeof parsed !== 'object' || parsed === null || (parsed as { type?: unknown }).type !== 'verification') return undefined;
  return authorizationMatches(authorization, settings.googleHealthSecrets)
    ? { status: 201, body: { ok: true } }
    : { status: 401, body: { error: 'authorization required' } };
};
