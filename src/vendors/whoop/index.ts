import { csv, positiveInt } from '../kit/env.ts';
import { idText, pick, userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { whoopMapping } from './mapping.ts';
import { whoopSignature } from './signature.ts';

export const whoop = vendorPlugin({
  id: 'whoop',
  bodyFormats: jsonBodies,
  requiredHeaders: [['x-whoop-signature'], ['x-whoop-signature-timestamp']],
  forwardedHeaders: ['x-whoop-signature', 'x-whoop-signature-timestamp'],
  redactedHeaders: [],
  retryHorizonMs: hour,
  signature: whoopSignature,
  deliveryId: (_request, body) => idText(pick(body, 'trace_id')),
  userIds: userIdAt('user_id'),
  requiresConnection: false,
  checksSourceNetwork: false,
  handshakes: [],
  mapping: whoopMapping,
  env: {
    WHOOP_WEBHOOK_SECRETS: csv.default([]),
    /** WHOOP retries for about an hour without re-signing: that plus slack. */
    WHOOP_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(7_200), // two hours
  },
  settings: (env) => ({ secrets: env.WHOOP_WEBHOOK_SECRETS, toleranceSeconds: env.WHOOP_TIMESTAMP_TOLERANCE_SECONDS }),
});
