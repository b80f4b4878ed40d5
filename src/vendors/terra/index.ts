import { csv, positiveInt } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { terraDestination } from './destination.ts';
import { terraMapping } from './mapping.ts';
import { terraSignature, terraSignatureHeaders } from './signature.ts';

export const terra = vendorPlugin({
  id: 'terra',
  bodyFormats: jsonBodies,
  requiredHeaders: [terraSignatureHeaders],
  forwardedHeaders: [...terraSignatureHeaders, 'x-terra-trace-id', 'terra-reference'],
  redactedHeaders: [],
  retryHorizonMs: 24 * hour,
  signature: terraSignature,
  // The body's digest (verify's default). X-Terra-Trace-Id is unique per delivery and stable across
  // retries, but the signature does not cover it: a signed request sent again under a new trace id
  // passed the guard and, stamped later by the ingress, wrote its older values over newer ones.
  // Terra retries without re-signing, so a retry's body is the same bytes.
  deliveryId: () => undefined,
  userIds: userIdAt('user', 'user_id'),
  requiresConnection: false,
  checksSourceNetwork: false,
  handshakes: [],
  mapping: terraMapping,
  env: {
    TERRA_WEBHOOK_SECRETS: csv.default([]),
    /** Terra retries for about 24 h without re-signing: that plus slack. */
    TERRA_TIMESTAMP_TOLERANCE_SECONDS: positiveInt.default(93_600), // 26 hours
  },
  settings: (env) => ({ secrets: env.TERRA_WEBHOOK_SECRETS, toleranceSeconds: env.TERRA_TIMESTAMP_TOLERANCE_SECONDS }),
  destination: terraDestination,
});
