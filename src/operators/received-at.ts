import type { IHeaders, KafkaMessage } from 'kafkajs';
import { receivedAtHeader } from '../vendors/kit/received-at.ts';

/**
 * Gives a copied record the time it was first received as `received-at`, when it has none (a
 * Terra destination message, dated by its Kafka timestamp): stages read that header before the
 * timestamp, so a replayed or redriven version is as old as it was. The copy itself takes the
 * time it is written: one dated days back could land in a segment already past the target
 * topic's retention and be deleted before a stage reads it.
 */
export function keepReceivedAt(headers: IHeaders, message: KafkaMessage): void {
  if (headers[receivedAtHeader] === undefined && /^\d+$/.test(message.timestamp)) headers[receivedAtHeader] = message.timestamp;
}
