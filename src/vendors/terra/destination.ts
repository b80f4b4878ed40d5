import type { DestinationSource } from '../kit/destination.ts';
import { objectBody } from '../kit/payload-fields.ts';
import { mapTerraDocument } from './mapping.ts';
import { isS3PayloadPointer, type TerraPayloadFetcher } from './payload-fetch.ts';
import { decodePayload } from '../kit/decode-payload.ts';
import { receivedAtOf } from '../kit/received-at.ts';

/**
 * Terra's Kafka destination: Terra writes to this topic itself; each message is a pointer to fetch
 * (`s3_payload`) or the document itself. The record timestamp is when Terra produced it; it both
 * dates the URL's expiry and stands in for `receivedAt`, since these messages never pass ingress.
 */
export const terraDestination: DestinationSource<TerraPayloadFetcher> = {
  topic: 'terra-biometric-events',
  async map(fetcher, record) {
    const message = objectBody(decodePayload('json', record.value, 'terra'), 'terra');
    // The original's time for a replayed or redriven copy, which is written anew (receivedAtOf).
    const producedAt = receivedAtOf(record.headers ?? {}, record.timestamp);
    const context = { receivedAt: producedAt };
    if (!isS3PayloadPointer(message)) return mapTerraDocument(message, context);
    if (message['status'] !== undefined && message['status'] !== 'success') {
      return { events: [], acknowledged: 'terra_s3_payload_not_success' };
    }
    return mapTerraDocument(await fetcher.fetchDocument(message, producedAt), context);
  },
};
