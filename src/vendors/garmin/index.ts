import { z } from 'zod';
import { idText, isRecord, pick } from '../kit/body.ts';
import { csv } from '../kit/env.ts';
import { hour, jsonBodies, vendorPlugin } from '../kit/plugin.ts';
import { garminMapping } from './mapping.ts';
import { garminSignature } from './signature.ts';
import { redactGarminTokens } from './token-redaction.ts';

/** Garmin batches summaries by type: `{"dailies": [{userId, …}], "sleeps": […]}`. */
function garminUserIds(body: unknown): readonly string[] {
  if (!isRecord(body)) return [];
  const ids = new Set<string>();
  for (const items of Object.values(body)) {
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const id = idText(pick(item, 'userId'));
      if (id !== undefined) ids.add(id);
    }
  }
  return [...ids];
}

export const garmin = vendorPlugin({
  id: 'garmin',
  bodyFormats: jsonBodies,
  requiredHeaders: [['garmin-client-id']],
  forwardedHeaders: ['garmin-client-id'],
  redactedHeaders: [],
  recordedBody: redactGarminTokens,
  retryHorizonMs: 7 * 24 * hour, // notifications can be held for up to 7 days
  signature: garminSignature,
  deliveryId: () => undefined,
  userIds: garminUserIds,
  requiresConnection: true,
  checksSourceNetwork: true,
  handshakes: [],
  mapping: garminMapping,
  env: {
    GARMIN_WEBHOOK_SECRETS: csv.default([]),
    /** Garmin sends our consumer key in `garmin-client-id`; verify rejects any other value. */
    GARMIN_CLIENT_ID: z.string().min(1).optional(),
    /** Source networks (CIDR, comma-separated) Garmin posts from; empty = not checked. */
    GARMIN_SOURCE_NETWORKS: csv.default([]),
  },
  // Garmin's "secret" is our consumer key, echoed in garmin-client-id.
  settings: (env) => ({
    secrets: [...(env.GARMIN_CLIENT_ID ? [env.GARMIN_CLIENT_ID] : []), ...env.GARMIN_WEBHOOK_SECRETS],
    sourceNetworks: env.GARMIN_SOURCE_NETWORKS,
  }),
});
