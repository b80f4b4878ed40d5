import type { Schema } from 'avsc';
import type { KafkaMessage } from 'kafkajs';
import type { EnrichedBiometricEvent } from '../events/index.ts';
import { bridgeSchemas } from '../schemas/index.ts';
import { RecordError, serdes, type AvroSchemaStore, type Serde } from '../streams/index.ts';
import { priorities, priorityTopic, type Priority } from '../topics.ts';
import type { RoutedRecord } from './record.ts';

export const priorityTopics: readonly string[] = priorities.map(priorityTopic);
const priorityOfTopic = new Map<string, Priority>(priorities.map((p) => [priorityTopic(p), p]));

/** Why a record of a priority topic is not pushed (counted; the record is skipped). */
export type SkipReason = 'no-key' | 'undecodable';

export type PriorityRecordDecoder = (topic: string, partition: number, message: KafkaMessage) => Promise<RoutedRecord | SkipReason>;

/** Decodes priority-topic records with the pipeline's Avro serde (writer schema from the registry). */
export function priorityRecordDecoder(store: AvroSchemaStore): PriorityRecordDecoder {
  const serde: Serde<EnrichedBiometricEvent> = serdes.avro<EnrichedBiometricEvent>({
    store,
    schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema,
  });
  return async (topic, partition, message) => {
    const userId = message.key?.toString('utf8');
    if (userId === undefined || userId === '') return 'no-key';
    let enriched: EnrichedBiometricEvent;
    try {
      enriched = await serde.deserialize(message.value, topic);
    } catch (error) {
      // A registry that is down is not a bad record: the error makes kafkajs retry the fetch.
      if (error instanceof RecordError) return 'undecodable';
      throw error;
    }
    return {
      topic,
      partition,
      offset: BigInt(message.offset),
      userId,
      priority: priorityOfTopic.get(topic) ?? enriched.priority,
      enriched,
      routedAt: Number(message.timestamp),
    };
  };
}
