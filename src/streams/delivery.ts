/**
 * at-least-once: offsets are committed after every output of the records before them is
 * acknowledged (acks=all, idempotent producer); a crash replays, never loses.
 * exactly-once: outputs and offsets go in one Kafka transaction; read_committed readers see
 * each output once.
 */
export type DeliveryMode = 'at-least-once' | 'exactly-once';
