import { RecordError } from '../../streams/errors.ts';
import { BodyError, decodeBody, type BodyFormat } from './body.ts';

/** A record's body decoded for a stage: a body that will not decode is a `malformed_body` dead letter. */
export function decodePayload(format: BodyFormat, bytes: Buffer | null, vendor: string): unknown {
  try {
    return decodeBody(format, bytes ?? Buffer.alloc(0));
  } catch (error) {
    if (error instanceof BodyError) throw new RecordError('malformed_body', `${vendor} ${error.detail}`, { cause: error });
    throw error;
  }
}
