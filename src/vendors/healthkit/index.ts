import { csv, positiveInt } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { header } from '../kit/webhook.ts';
import { healthkitMapping } from './mapping.ts';
import { healthkitSignature } from './signature.ts';

export const healthkit = vendorPlugin({
  id: 'healthkit',
  bodyFormats: jsonBodies,
  requiredHeaders: [['x-bridge-signature'], ['x-bridge-timestamp']],
  forwardedHeaders: ['x-bridge-signature', 'x-bridge-timestamp'],
  redactedHeaders: [],
  retryHorizonMs: hour,
  signature: healthkitSignature,
  deliveryId: (request) => header(request.headers, 'x-bridge-signature')?.toLowerCase(),
  userIds: userIdAt('user_id'),
  requiresConnection: false,
  carriesOurUserIds: true,
  checksSourceNetwork: false,
  handshakes: [],
  mapping: healthkitMapping,
  env: {
    HEALTHKIT_WEBHOOK_SECRETS: csv.default([]),
    /** Our own app signs at upload time. */
    HEALTHKIT_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(3_600), // one hour
  },
  settings: (env) => ({ secrets: env.HEALTHKIT_WEBHOOK_SECRETS, toleranceSeconds: env.HEALTHKIT_TIMESTAMP_TOLERANCE_SECONDS }),
});
