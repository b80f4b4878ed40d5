import type { VendorId } from '../config/schema.ts';
import { rawTopic, verifiedTopic } from '../topics.ts';
import { idText, isRecord, pick, type BodyFormat } from './body.ts';
import { garminSignature } from './garmin/signature.ts';
import { authorizationDigestHeader, googleHealthSignature } from './google-health/signature.ts';
import { healthkitSignature } from './healthkit/signature.ts';
import { ouraSignature } from './oura/signature.ts';
import { polarSignature } from './polar/signature.ts';
import { terraSignature, terraSignatureHeader, terraSignatureHeaders } from './terra/signature.ts';
import { header, type SignatureScheme, type SignedRequest } from './webhook.ts';
import { whoopSignature } from './whoop/signature.ts';
import { withingsSignature } from './withings/signature.ts';

import type { VendorMapping } from '../normalize/vendor-mapping.ts';
import { ouraMapping } from './oura/mapping.ts';
import { whoopMapping } from './whoop/mapping.ts';
import { healthkitMapping } from './healthkit/mapping.ts';
import { terraMapping } from './terra/mapping.ts';
import { googleHealthMapping } from './google-health/mapping.ts';
import { polarMapping } from './polar/mapping.ts';
import { garminMapping } from './garmin/mapping.ts';
import { withingsMapping } from './withings/mapping.ts';

export type { SignatureScheme, SignedRequest } from './webhook.ts';

/** Handshakes ingress answers itself, from configuration, without writing anything to Kafka. */
export type Handshake = 'oura-challenge' | 'google-health-verification' | 'withings-head' | 'polar-ping';

/**
 * Everything the pipeline knows about one vendor. This registry is the one place a vendor is
 * added: ingress reads the HTTP facts, verify the signature and identity facts, normalize the
 * `mapping` (added by the normalize stage beside the rest).
 */
export interface VendorEntry {
  readonly id: VendorId;
  readonly rawTopic: string;
  readonly verifiedTopic: string;
  readonly bodyFormat: BodyFormat;
  /** Media types ingress accepts (parameters such as charset are ignored); others get 415. */
  readonly contentTypes: readonly string[];
  /** Each group must have one present header, or ingress answers 401 before touching Kafka. */
  readonly requiredHeaders: ReadonlyArray<readonly string[]>;
  /** Copied verbatim from the request onto the raw record, for verify to check. */
  readonly forwardedHeaders: readonly string[];
  /** How long the vendor keeps retrying one delivery, in ms; sizes the replay guard's memory. */
  readonly retryHorizonMs: number;
  readonly signature: SignatureScheme;
  /**
   * The id of one delivery, stable across the vendor's retries: the vendor's own (WHOOP trace_id,
   * Terra X-Terra-Trace-Id), else the signature; undefined → verify uses a hash of the body.
   */
  readonly deliveryId: (request: SignedRequest, body: unknown) => string | undefined;
  /** The vendor's user ids the body is about (several only in Garmin's batched pushes). */
  readonly userIds: (body: unknown) => readonly string[];
  /** Unsigned vendors: the user must be in the connected-users directory. */
  readonly requiresConnection: boolean;
  /** Unsigned vendors: the source address must be in the configured networks, when any are. */
  readonly checksSourceNetwork: boolean;
  readonly handshakes: readonly Handshake[];
  /** Vendor JSON → BiometricEvent, owned by the normalize stage. */
  readonly mapping: VendorMapping;
}

const json = ['application/json'];
const hour = 3_600_000;
const one = (value: string | undefined): readonly string[] => (value === undefined ? [] : [value]);

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

export const vendors: Readonly<Record<VendorId, VendorEntry>> = {
  oura: {
    id: 'oura',
    mapping: ouraMapping,
    rawTopic: rawTopic('oura'),
    verifiedTopic: verifiedTopic('oura'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['x-oura-signature'], ['x-oura-timestamp']],
    forwardedHeaders: ['x-oura-signature', 'x-oura-timestamp'],
    retryHorizonMs: hour,
    signature: ouraSignature,
    // No delivery id in Oura's body or headers: the signature, which a retry that is not re-signed repeats.
    deliveryId: (request) => header(request.headers, 'x-oura-signature')?.toLowerCase(),
    userIds: (body) => one(idText(pick(body, 'user_id'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: ['oura-challenge'],
  },
  whoop: {
    id: 'whoop',
    mapping: whoopMapping,
    rawTopic: rawTopic('whoop'),
    verifiedTopic: verifiedTopic('whoop'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['x-whoop-signature'], ['x-whoop-signature-timestamp']],
    forwardedHeaders: ['x-whoop-signature', 'x-whoop-signature-timestamp'],
    retryHorizonMs: hour,
    signature: whoopSignature,
    deliveryId: (_request, body) => idText(pick(body, 'trace_id')),
    userIds: (body) => one(idText(pick(body, 'user_id'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: [],
  },
  healthkit: {
    id: 'healthkit',
    mapping: healthkitMapping,
    rawTopic: rawTopic('healthkit'),
    verifiedTopic: verifiedTopic('healthkit'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['x-bridge-signature'], ['x-bridge-timestamp']],
    forwardedHeaders: ['x-bridge-signature', 'x-bridge-timestamp'],
    retryHorizonMs: hour,
    signature: healthkitSignature,
    deliveryId: (request) => header(request.headers, 'x-bridge-signature')?.toLowerCase(),
    userIds: (body) => one(idText(pick(body, 'user_id'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: [],
  },
  terra: {
    id: 'terra',
    mapping: terraMapping,
    rawTopic: rawTopic('terra'),
    verifiedTopic: verifiedTopic('terra'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [terraSignatureHeaders],
    forwardedHeaders: [...terraSignatureHeaders, 'x-terra-trace-id', 'terra-reference'],
    retryHorizonMs: 24 * hour,
    signature: terraSignature,
    // Unique per delivery and stable across retries; terra-reference is shared by chunks.
    deliveryId: (request) => header(request.headers, 'x-terra-trace-id') ?? terraSignatureHeader(request),
    userIds: (body) => one(idText(pick(body, 'user', 'user_id'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: [],
  },
  'google-health': {
    id: 'google-health',
    mapping: googleHealthMapping,
    rawTopic: rawTopic('google-health'),
    verifiedTopic: verifiedTopic('google-health'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['authorization']],
    // `authorization` itself is replaced by its digest at ingress (see google-health/signature.ts).
    forwardedHeaders: [authorizationDigestHeader, 'x-healthapi-signature'],
    retryHorizonMs: 24 * hour,
    signature: googleHealthSignature,
    deliveryId: (request) => header(request.headers, 'x-healthapi-signature'),
    userIds: (body) => one(idText(pick(body, 'data', 'healthUserId'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: ['google-health-verification'],
  },
  polar: {
    id: 'polar',
    mapping: polarMapping,
    rawTopic: rawTopic('polar'),
    verifiedTopic: verifiedTopic('polar'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['polar-webhook-signature']],
    forwardedHeaders: ['polar-webhook-signature', 'polar-webhook-event'],
    retryHorizonMs: 7 * 24 * hour,
    signature: polarSignature,
    deliveryId: (request) => header(request.headers, 'polar-webhook-signature')?.toLowerCase(),
    userIds: (body) => one(idText(pick(body, 'user_id'))),
    requiresConnection: false,
    checksSourceNetwork: false,
    handshakes: ['polar-ping'],
  },
  garmin: {
    id: 'garmin',
    mapping: garminMapping,
    rawTopic: rawTopic('garmin'),
    verifiedTopic: verifiedTopic('garmin'),
    bodyFormat: 'json',
    contentTypes: json,
    requiredHeaders: [['garmin-client-id']],
    forwardedHeaders: ['garmin-client-id'],
    retryHorizonMs: 7 * 24 * hour, // notifications can be held for up to 7 days
    signature: garminSignature,
    deliveryId: () => undefined,
    userIds: garminUserIds,
    requiresConnection: true,
    checksSourceNetwork: true,
    handshakes: [],
  },
  withings: {
    id: 'withings',
    mapping: withingsMapping,
    rawTopic: rawTopic('withings'),
    verifiedTopic: verifiedTopic('withings'),
    bodyFormat: 'form',
    contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    requiredHeaders: [],
    forwardedHeaders: [],
    retryHorizonMs: 4 * hour,
    signature: withingsSignature,
    deliveryId: () => undefined,
    userIds: (body) => one(idText(pick(body, 'userid'))),
    requiresConnection: true,
    checksSourceNetwork: true,
    handshakes: ['withings-head'],
  },
};

export function vendorById(id: string): VendorEntry | undefined {
  return Object.hasOwn(vendors, id) ? vendors[id as VendorId] : undefined;
}
