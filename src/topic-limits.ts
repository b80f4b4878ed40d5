import { maxHeaderSize } from 'node:http';

/**
 * How large a record each topic must accept (`max.message.bytes`), derived from the one number
 * that bounds everything the pipeline carries: the ingress's largest body. `bridge topics create`
 * sets these limits and the ingress refuses to start under smaller ones, so a body the ingress
 * accepts can always be stored, carried through every stage and dead-lettered.
 */

/** INGRESS_MAX_BODY_BYTES unless set: the largest webhook body, and the largest value hydrate writes. */
export const defaultMaxBodyBytes = 1_048_576; // 1 MiB

/** Kafka's framing of a record alone in its batch: 61 bytes of batch header plus varint lengths. */
const framingBytes = 1_024;

/**
 * A raw record's headers are copied from the request's (plus an id, a timestamp and a digest),
 * and Node refuses requests whose headers exceed `maxHeaderSize` (16 KiB unless started with
 * --max-http-header-size), so they are bounded by it.
 */
export const rawRecordOverheadBytes = maxHeaderSize + framingBytes;

/** Headers a stage adds to what it forwards (verify's keys, route's `triggers` JSON). */
export const stageHeaderBytes = 16_384; // 16 KiB

/** The dlq-* headers a dead letter adds to its input record; `dlq-detail` is a short text. */
export const deadLetterHeaderBytes = 16_384; // 16 KiB

/** The limit a raw topic needs for a body of `maxBodyBytes`. */
export function rawTopicMessageBytes(maxBodyBytes: number): number {
  return maxBodyBytes + rawRecordOverheadBytes;
}

/**
 * The limit of every topic, by its role: raw topics hold the body and the request's headers;
 * the topics after them (verified, events, enriched, priority, Terra's) may carry what a raw
 * record carried plus a stage's headers (a normalized event of a large Terra document is far
 * smaller than the document, and Terra's inline documents arrive on its topic under the same
 * bound); a dead-letter topic holds any of those plus the dlq-* headers.
 */
export function topicMessageBytes(maxBodyBytes: number, topic: string): number {
  const raw = rawTopicMessageBytes(maxBodyBytes);
  if (topic.startsWith('raw.')) return raw;
  if (topic.startsWith('dlq.')) return raw + stageHeaderBytes + deadLetterHeaderBytes;
  return raw + stageHeaderBytes;
}

