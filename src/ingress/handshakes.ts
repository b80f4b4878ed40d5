import { timingSafeEqual } from 'node:crypto';
import type { VendorEntry } from '../vendors/index.ts';

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

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Oura's subscription check: `GET ?verification_token=…&challenge=…` → `{"challenge": …}`. */
export function ouraChallenge(query: URLSearchParams, settings: HandshakeSettings): HandshakeAnswer {
  const token = query.get('verification_token');
  const challenge = query.get('challenge');
  if (token === null || challenge === null) return { status: 400, body: { error: 'verification_token and challenge are required' } };
  const ours = settings.ouraVerificationToken;
  if (ours === undefined || !sameText(token, ours)) return { status: 401, body: { error: 'unknown verification token' } };
  return { status: 200, body: { challenge } };
}

/** Small bodies only: a handshake is a few bytes, and real deliveries are never parsed here. */
const handshakeBodyLimit = 1024;

function smallJson(body: Buffer): unknown {
  if (body.length > handshakeBodyLimit) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    // Not JSON, so not a handshake: the body goes on as a delivery and verify judges it.
    return undefined;
  }
}

/**
 * POST handshakes answered without Kafka: Polar's PING (sent before we know the webhook's secret,
 * so it cannot be verified and must not go downstream) and Google Health's two verification
 * POSTs (201 with our Authorization, 401 without). Undefined: an ordinary delivery.
 */
export function postHandshake(
  vendor: VendorEntry,
  authorization: string | undefined,
  body: Buffer,
  settings: HandshakeSettings,
): HandshakeAnswer | undefined {
  if (vendor.handshakes.includes('polar-ping')) {
    const parsed = smallJson(body);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { event?: unknown }).event === 'PING') return { status: 200, body: { ok: true } };
  }
  if (vendor.handshakes.includes('google-health-verification')) {
    const parsed = smallJson(body);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { type?: unknown }).type === 'verification') {
      const given = authorization?.trim();
      const ok = given !== undefined && settings.googleHealthSecrets.some((secret) => sameText(secret, given));
      return ok ? { status: 201, body: { ok: true } } : { status: 401, body: { error: 'authorization required' } };
    }
  }
  return undefined;
}
