// The patched kafkajs producer chooses each record's partition once per send. A produce request
// that fails for one partition (NOT_LEADER while a restarted broker elects its leaders) is sent
// again whole, with the same sequence numbers; keyless records went round-robin again, so a
// partition that had taken the first attempt got other records under the same sequence numbers,
// and the broker acknowledged them as duplicates without writing them: a 202 for a webhook
// Kafka never stored.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Partitioners } from 'kafkajs';

const require = createRequire(import.meta.url);
type TopicData = Array<{ topic: string; partitions: Array<{ partition: number; firstSequence: number; messages: Array<{ value: string }> }> }>;
const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (options: object) => (args: { acks: number; topicMessages: Array<{ topic: string; messages: Array<{ value: string }> }> }) => Promise<unknown>;
const createRetry = require('kafkajs/src/retry/index.js') as (options: object) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode: (code: number) => Error };

test('a retried produce request puts every record in the partition its first attempt did', async () => {
  const partitions = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
  const attempts: Array<Map<number, { firstSequence: number; values: string[] }>> = [];
  const sequences = new Map<number, number>();
  const broker = {
    nodeId: 0,
    produce: async ({ topicData }: { topicData: TopicData }) => {
      attempts.push(new Map(topicData[0]!.partitions.map((p) => [p.partition, { firstSequence: p.firstSequence, values: p.messages.map((m) => m.value) }])));
      // The first attempt: partitions 0 and 1 are written, partition 2's leader is still being elected.
      if (attempts.length === 1) throw createErrorFromCode(6); // NOT_LEADER_OR_FOLLOWER
      return { topics: [{ topicName: 't', partitions: topicData[0]!.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) }] };
    },
  };
  const noop = () => undefined;
  const sendMessages = createSendMessages({
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    cluster: {
      refreshMetadataIfNecessary: async () => undefined,
      refreshMetadata: async () => undefined,
      addMultipleTargetTopics: async () => undefined,
      isConnected: () => true,
      findTopicPartitionMetadata: () => partitions,
      findLeaderForPartitions: (_topic: string, ids: number[]) => ({ 0: ids }),
      findBroker: async () => broker,
    },
    partitioner: Partitioners.DefaultPartitioner(),
    eosManager: {
      isTransactional: () => false,
      acquireBrokerLock: async () => undefined,
      releaseBrokerLock: async () => undefined,
      getSequence: (_topic: string, partition: number) => sequences.get(partition) ?? 0,
      updateSequence: (_topic: string, partition: number, increment: number) => sequences.set(partition, (sequences.get(partition) ?? 0) + increment),
      getProducerId: () => 1,
      getProducerEpoch: () => 0,
      getTransactionalId: () => undefined,
    },
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  const values = Array.from({ length: 7 }, (_, i) => `webhook ${i}`);
  await sendMessages({ acks: -1, topicMessages: [{ topic: 't', messages: values.map((value) => ({ value })) }] });

  assert.is(attempts.length, 2, 'sent twice: the failed attempt and its retry');
  const [first, retry] = attempts as [Map<number, { firstSequence: number; values: string[] }>, Map<number, { firstSequence: number; values: string[] }>];
  assert.equal([...retry.entries()].sort(), [...first.entries()].sort(), 'each partition gets the same records under the same sequence numbers');
  assert.equal([...first.values()].flatMap((p) => p.values).sort(), [...values].sort(), 'every record in exactly one partition');
});

test.run();
