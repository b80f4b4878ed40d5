import { isKafkaUnavailable } from './kafka-unavailable.ts';
import { protocolType } from './producer-errors.ts';

/** The group is rebalancing, or this member left it: kafkajs rejoins on these. */
const rebalanceTypes = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/**
 * A transaction the coordinator ended under the producer (its timeout passed while a broker was
 * away) or a producer a newer one of its id replaced: kafkajs does not retry these, and a new
 * producer of the id goes on.
 */
const endedTransactionTypes = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_TXN_STATE', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']);
/** PRODUCER_FENCED (code 90), which kafkajs 2.2 does not know: it says so in the message alone. */
const producerFenced = /\bUnknown error code 90\b/;

/**
 * What the runner does when a chunk's commit fails: `wait` (pause the partition and run the
 * chunk again from what the group committed) when Kafka is away or ended the transaction;
 * `rethrow` for a rebalance (kafkajs's to act on) and for anything else (an authorization
 * failure, a deleted topic, a bug), which no waiting mends and which must not loop unseen.
 */
export function onCommitFailure(error: unknown): 'wait' | 'rethrow' {
  if (protocolType(error, rebalanceTypes) !== undefined) return 'rethrow';
  return isKafkaUnavailable(error) || protocolType(error, endedTransactionTypes) !== undefined || saysSomewhere(error, producerFenced) ? 'wait' : 'rethrow';
}

function saysSomewhere(error: unknown, pattern: RegExp): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (pattern.test(current.message)) return true;
  }
  return false;
}

/** The pause after the `failures`-th failed commit in a row of one partition: 1 s, doubling, at most 30 s. */
export function commitRetryDelayMs(failures: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, Math.min(failures, 16) - 1));
}
