/**
 * How a stage makes its work durable (DELIVERY / DELIVERY_<STAGE>):
 * at-least-once: offsets are committed after every output of the records before them is
 * acknowledged (acks=all, idempotent producer) and every store write resolved; a crash replays,
 * never loses.
 * exactly-once: outputs, dead letters and offsets go in one Kafka transaction (after the chunk's
 * store writes resolved); read_committed readers see each output once. A store is kept exactly
 * once by its writer's idempotence (a chunk replayed after a crash writes the same rows again).
 */
export const deliveryModes = ['at-least-once', 'exactly-once'] as const;

export type DeliveryMode = (typeof deliveryModes)[number];
