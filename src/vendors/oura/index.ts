import { z } from 'zod';
import { csv, positiveInt } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { header } from '../kit/webhook.ts';
import { ouraChallenge } from './handshake.ts';
import { ouraMapping } from './mapping.ts';
import { ouraSignature } from './signature.ts';

export const oura = vendorPlugin({
  id: 'oura',
  bodyFormats: jsonBodies,
  requiredHeaders: [['x-oura-signature'], ['x-oura-timestamp']],
  forwardedHeaders: ['x-oura-signature', 'x-oura-timestamp'],
  redactedHeaders: [],
  retryHorizonMs: hour,
  signature: ouraSignature,
  // No delivery id in Oura's body or headers: the signature, which a retry that is not re-signed repeats.
  deliveryId: (request) => header(request.headers, 'x-oura-signature')?.toLowerCase(),
  userIds: userIdAt('user_id'),
  requiresConnection: false,
  checksSourceNetwork: false,
  handshakes: ['oura-challenge'],
  answerGet: ouraChallenge,
  mapping: ouraMapping,
  env: {
    OURA_WEBHOOK_SECRETS: csv.default([]),
    /** Oura's subscription handshake echoes this token in `GET ?verification_token=…&challenge=…`. */
    OURA_VERIFICATION_TOKEN: z.string().min(1).optional(),
    /** Oura retries for about an hour without re-signing (docs/vendors.md): that plus slack. */
    OURA_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(7_200), // two hours
  },
  settings: (env) => ({ secrets: env.OURA_WEBHOOK_SECRETS, toleranceSeconds: env.OURA_TIMESTAMP_TOLERANCE_SECONDS }),
});
