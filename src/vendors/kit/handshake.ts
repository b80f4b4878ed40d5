import { BodyError, decodeBody } from './body.ts';

/** Handshakes ingress answers itself, from configuration, without writing anything to Kafka. */
export type HandshakeName = 'oura-challenge' | 'google-health-verification' | 'withings-head' | 'polar-ping';

/** What the handshakes need from configuration (src/ingress/settings.ts builds it). */
export interface HandshakeSettings {
  /** Oura echoes it in `?verification_token=`; unset → every Oura challenge is refused. */
  readonly ouraVerificationToken: string | undefined;
  /** Google Health's `Authorization` values (GOOGLE_HEALTH_WEBHOOK_SECRETS). */
  readonly googleHealthSecrets: readonly string[];
}

export interface HandshakeAnswer {
  readonly status: number;
  readonly body?: unknown;
}

/** A POST handshake: its answer, or undefined for an ordinary delivery. */
export type PostHandshake = (request: { readonly authorization: string | undefined; readonly body: Buffer }, settings: HandshakeSettings) => HandshakeAnswer | undefined;

/** A GET handshake, answered from the query string. */
export type GetHandshake = (query: URLSearchParams, settings: HandshakeSettings) => HandshakeAnswer;

/** Small bodies only: a handshake is a few bytes, and real deliveries are never parsed here. */
const handshakeBodyLimit = 1024;

/** A POST body as JSON when it could be a handshake; undefined for anything else. */
export function smallJson(body: Buffer): unknown {
  if (body.length > handshakeBodyLimit) return undefined;
  try {
    return decodeBody('json', body);
  } catch (error) {
    // Not JSON, so not a handshake: the body goes on as a delivery and verify judges it.
    if (error instanceof BodyError) return undefined;
    throw error;
  }
}
