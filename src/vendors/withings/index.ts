import { csv } from '../kit/env.ts';
import { userIdAt } from '../kit/body.ts';
import { hour, vendorPlugin } from '../kit/plugin.ts';
import { withingsMapping } from './mapping.ts';
import { withingsSignature } from './signature.ts';

export const withings = vendorPlugin({
  id: 'withings',
  // Withings posts form-urlencoded; JSON is accepted and decoded as JSON when declared so.
  bodyFormats: { 'application/x-www-form-urlencoded': 'form', 'application/json': 'json' },
  requiredHeaders: [],
  forwardedHeaders: [],
  redactedHeaders: [],
  retryHorizonMs: 4 * hour,
  signature: withingsSignature,
  deliveryId: () => undefined,
  userIds: userIdAt('userid'),
  requiresConnection: true,
  checksSourceNetwork: true,
  handshakes: ['withings-head'],
  mapping: withingsMapping,
  env: {
    WITHINGS_WEBHOOK_SECRETS: csv.default([]),
    /** Source networks (CIDR, comma-separated) Withings posts from; empty = not checked. */
    WITHINGS_SOURCE_NETWORKS: csv.default([]),
  },
  settings: (env) => ({ secrets: env.WITHINGS_WEBHOOK_SECRETS, sourceNetworks: env.WITHINGS_SOURCE_NETWORKS }),
});
