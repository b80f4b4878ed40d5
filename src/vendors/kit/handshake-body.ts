import { BodyError, decodeBody } from './body.ts';

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
