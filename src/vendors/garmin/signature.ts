import { matchesAnySecret } from '../kit/verify-hmac.ts';
import { accepted, header, rejected, type SignatureScheme } from '../kit/webhook.ts';

/**
 * Garmin Health API pushes are not signed. The evidence Garmin gives is the `garmin-client-id`
 * header carrying our consumer key (configured as GARMIN_CLIENT_ID, passed here as the secrets);
 * verify adds the source-network allow-list and the connected-user check.
 */
export const garminSignature: SignatureScheme = (request, { secrets }) => {
  const text = header(request.headers, 'garmin-client-id');
  if (text === undefined) return rejected('bad_signature', 'missing or ambiguous garmin-client-id');
  if (secrets.length === 0) return rejected('bad_signature', 'GARMIN_CLIENT_ID is not configured');
  const matched = matchesAnySecret(secrets, Buffer.from(text), (key) => Buffer.from(key));
  return matched ? accepted() : rejected('bad_signature', 'garmin-client-id is not our consumer key');
};
