import { csv } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { header } from '../kit/webhook.ts';
import { polarPing } from './handshake.ts';
import { polarMapping } from './mapping.ts';
import { polarSignature } from './signature.ts';

export const polar = vendorPlugin({
  id: 'polar',
  bodyFormats: jsonBodies,
  requiredHeaders: [['polar-webhook-signature']],
  forwardedHeaders: ['polar-webhook-signature', 'polar-webhook-event'],
  redactedHeaders: [],
  retryHorizonMs: 7 * 24 * hour,
  signature: polarSignature,
  deliveryId: (request) => header(request.headers, 'polar-webhook-signature')?.toLowerCase(),
  userIds: userIdAt('user_id'),
  requiresConnection: false,
  checksSourceNetwork: false,
  handshakes: ['polar-ping'],
  answerPost: polarPing,
  mapping: polarMapping,
  env: { POLAR_WEBHOOK_SECRETS: csv.default([]) },
  settings: (env) => ({ secrets: env.POLAR_WEBHOOK_SECRETS }),
});
