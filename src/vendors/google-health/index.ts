import { csv } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { header } from '../kit/webhook.ts';
import { googleHealthVerification } from './handshake.ts';
import { googleHealthMapping } from './mapping.ts';
import { authorizationDigest, authorizationDigestHeader, googleHealthSignature } from './signature.ts';

export const googleHealth = vendorPlugin({
  id: 'google-health',
  bodyFormats: jsonBodies,
  requiredHeaders: [['authorization']],
  forwardedHeaders: ['x-healthapi-signature'],
  redactedHeaders: [{ header: 'authorization', as: authorizationDigestHeader, value: authorizationDigest }],
  retryHorizonMs: 24 * hour,
  signature: googleHealthSignature,
  deliveryId: (request) => header(request.headers, 'x-healthapi-signature'),
  userIds: userIdAt('data', 'healthUserId'),
  requiresConnection: false,
  checksSourceNetwork: false,
  handshakes: ['google-health-verification'],
  answerPost: googleHealthVerification,
  mapping: googleHealthMapping,
  env: {
    /** The `endpointAuthorization.secret` of our subscriber: `<token>` or `Bearer <token>`. */
    GOOGLE_HEALTH_WEBHOOK_SECRETS: csv.default([]),
  },
  settings: (env) => ({ secrets: env.GOOGLE_HEALTH_WEBHOOK_SECRETS }),
});
