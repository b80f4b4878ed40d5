import type { z } from 'zod';
import type { DestinationSource } from './destination.ts';
import type { BodyFormats } from './body.ts';
import type { GetHandshake, HandshakeName, PostHandshake } from './handshake.ts';
import type { VendorMapping } from './vendor-mapping.ts';
import type { SignatureScheme, SignedRequest } from './webhook.ts';

/** What verify reads from a vendor's configuration fragment. */
export interface VendorEnvSettings {
  /** Tried in order, so a new secret and the one it replaces both pass during rotation. */
  readonly secrets: readonly string[];
  /** Signed-timestamp tolerance; vendors without a signed timestamp leave it out. */
  readonly toleranceSeconds?: number;
  /** CIDR networks the vendor posts from; empty or absent: not checked. */
  readonly sourceNetworks?: readonly string[];
}

/** A request header ingress records under another name and value, so a secret never reaches Kafka. */
export interface HeaderRedaction {
  /** The request header, lower case. */
  readonly header: string;
  /** The raw-record header that stands for it. */
  readonly as: string;
  readonly value: (text: string) => string;
}

/**
 * Everything the bridge knows about one vendor, in the vendor's folder. src/vendors/index.ts lists
 * the plugins; config, verify settings, ingress, `start` and the topics derive from that list.
 */
export interface VendorPlugin<Id extends string = string, Env extends z.ZodRawShape = z.ZodRawShape> {
  readonly id: Id;
  /** Media types ingress accepts (parameters such as charset are ignored; others get 415) → body format. */
  readonly bodyFormats: BodyFormats;
  /** Each group must have one present header, or ingress answers 401 before touching Kafka. */
  readonly requiredHeaders: ReadonlyArray<readonly string[]>;
  /** Copied verbatim from the request onto the raw record, for verify to check. */
  readonly forwardedHeaders: readonly string[];
  /** Recorded in place of the request's header (Google Health's Authorization → its digest). */
  readonly redactedHeaders: readonly HeaderRedaction[];
  /**
   * The body as ingress records it, when the vendor puts a credential in it (Garmin's
   * `userAccessToken` → its digest). Only for a vendor that signs no body: a rewritten body would
   * fail a signature. Absent: the body byte for byte.
   */
  readonly recordedBody?: (body: Buffer) => Buffer;
  /** How long the vendor keeps retrying one delivery, in ms; sizes the replay guard's memory. */
  readonly retryHorizonMs: number;
  readonly signature: SignatureScheme;
  /**
   * The id of one delivery, stable across the vendor's retries: the vendor's own (WHOOP trace_id,
   * Terra X-Terra-Trace-Id), else the signature; undefined → verify uses a hash of the body.
   */
  deliveryId(request: SignedRequest, body: unknown): string | undefined;
  /** The vendor's user ids the decoded body is about (several only in Garmin's batched pushes). */
  userIds(body: unknown): readonly string[];
  /** Unsigned vendors: the user must be in the connected-users directory. */
  readonly requiresConnection: boolean;
  /** The body's user ids are already ours (our own app): normalize does not map them through connections. */
  readonly carriesOurUserIds?: boolean;
  /** Unsigned vendors: the source address must be in the configured networks, when any are. */
  readonly checksSourceNetwork: boolean;
  /** The handshakes ingress answers for this vendor. */
  readonly handshakes: readonly HandshakeName[];
  readonly answerGet?: GetHandshake;
  readonly answerPost?: PostHandshake;
  /** Vendor body → BiometricEvents, run by the normalize stage. */
  readonly mapping: VendorMapping;
  /** The vendor's environment variables (secrets, tolerance, networks, ids), merged into src/config/schema.ts. */
  readonly env: Env;
  settings(env: z.infer<z.ZodObject<Env>>): VendorEnvSettings;
  /** A Kafka topic the vendor writes itself (Terra's destination), read by normalize. */
  readonly destination?: DestinationSource<never>;
}

/** The body formats of a vendor that posts JSON only. */
export const jsonBodies: BodyFormats = { 'application/json': 'json' };

export const hour = 3_600_000; // ms, for retry horizons

/** Declares a plugin, keeping its id and variables' types for the config schema. */
export function vendorPlugin<const Id extends string, Env extends z.ZodRawShape>(plugin: VendorPlugin<Id, Env>): VendorPlugin<Id, Env> {
  return plugin;
}
