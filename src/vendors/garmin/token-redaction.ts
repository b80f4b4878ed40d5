import { createHash } from 'node:crypto';

/** A JSON string member `"userAccessToken": "…"`, escapes included. */
const accessTokenMember = /("userAccessToken"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
const marker = Buffer.from('"userAccessToken"');

/**
 * Garmin's pushes and pings carry each user's OAuth access token (`userAccessToken`) beside the
 * data. Ingress records the body with each token replaced by a short digest, so no token reaches
 * a topic or a dead letter. Garmin signs nothing, so a rewritten body breaks no check, and the
 * digest still tells two users' items apart. Every other byte stays as Garmin sent it; a body
 * without a token is the same Buffer.
 */
export function redactGarminTokens(body: Buffer): Buffer {
  if (body.indexOf(marker) < 0) return body;
  const text = body.toString('utf8').replace(accessTokenMember, (_member, name: string, token: string) => `${name}"${tokenDigest(token)}"`);
  return Buffer.from(text, 'utf8');
}

/** What stands for a token: 64 bits of its SHA-256, shorter than any token Garmin issues. */
export function tokenDigest(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16)}`;
}
