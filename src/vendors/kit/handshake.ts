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
