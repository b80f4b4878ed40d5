import { smallJson, type PostHandshake } from '../kit/handshake.ts';

/**
 * Polar's PING, sent before we know the webhook's secret: it cannot be verified and must not go
 * downstream, so ingress answers 200 itself.
 */
export const polarPing: PostHandshake = ({ body }) => {
  const parsed = smallJson(body);
  return typeof parsed === 'object' && parsed !== null && (parsed as { event?: unknown }).event === 'PING' ? { status: 200, body: { ok: true } } : undefined;
};
