import { timingSafeEqual } from 'node:crypto';
import type { GetHandshake } from '../kit/handshake.ts';

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Oura's subscription check: `GET ?verification_token=…&challenge=…` → `{"challenge": …}`. */
export const ouraChallenge: GetHandshake = (query, settings) => {
  const token = query.get('verification_token');
  const challenge = query.get('challenge');
  if (token === null || challenge === null) return { status: 400, body: { error: 'verification_token and challenge are required' } };
  const ours = settings.ouraVerificationToken;
  if (ours === undefined || !sameText(token, ours)) return { status: 401, body: { error: 'unknown verification token' } };
  return { status: 200, body: { challenge } };
};
