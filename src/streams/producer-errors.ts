/**
 * Broker answers after which an idempotent producer's id or sequence numbers no longer match the
 * broker's: retrying with the same producer fails the same way forever.
 */
const fatalIdempotenceTypes = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/** The broker refuses the record batch for its size (the topic's `max.message.bytes`). */
const tooLargeTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** kafkajs wraps a broker's answer (KafkaJSProtocolError, with `type`) in retry errors as `cause`: the first of `types` in the chain. */
export function protocolType(error: unknown, types: ReadonlySet<string>): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const type = (current as Error & { type?: unknown }).type;
    if (typeof type === 'string' && types.has(type)) return type;
  }
  return undefined;
}

/** The broker's error name when `error` means the producer must be replaced, else undefined. */
export function fatalIdempotenceError(error: unknown): string | undefined {
  return protocolType(error, fatalIdempotenceTypes);
}

/** The broker's error name when `error` is a refusal for size, else undefined. */
export function tooLargeError(error: unknown): string | undefined {
  return protocolType(error, tooLargeTypes);
}
