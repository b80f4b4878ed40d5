import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { kafkaPriorityLog } from '../../src/push/kafka-priority-log.ts';
import type { RoutedRecord } from '../../src/push/record.ts';
import { reliableProducer } from '../../src/streams/producers.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';

const kafka = kafkaClient();
const partitions = 3;
const othersRecords = 3_000;
let admin: Admin;
let producer: Producer;

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  producer = reliableProducer(kafka);
  await producer.connect();
});

test.after(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

/** Writes `count` records keyed `key` as route does (the default partitioner); the partition they went to. */
async function write(topic: string, key: string, count: number): Promise<number> {
  const [written] = await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key, value: `${key}-${i}` })) });
  return written!.partition;
}

/** `kafka` whose consumers count the records each partition's fetched batches held. */
function countingFetches(fetched: Map<number, number>): Pick<Kafka, 'consumer'> {
  return {
    consumer(config) {
      const consumer = kafka.consumer(config);
      consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => fetched.set(payload.partition, (fetched.get(payload.partition) ?? 0) + payload.batchSize));
      return consumer;
    },
  };
}

const decode = async (topic: string, partition: number, message: KafkaMessage) => ({ topic, partition, offset: BigInt(message.offset), userId: message.key?.toString() }) as RoutedRecord;

test('a resume fetches only its user\'s partition, however much the other partitions hold', async () => {
  const topic = unique('test.push.replay');
  await createTopics(admin, [topic], partitions);
  const user = unique('user');
  const own = await write(topic, user, 1); // the record the client has (offset 0)
  // Other users' records, on every other partition, from the start of the log.
  let others = 0;
  for (let i = 0; others < othersRecords; i += 1) {
    const key = `${user}-neighbour-${i}`;
    if ((await write(topic, key, 1)) === own) continue;
    await write(topic, key, 99);
    others += 100;
  }
  await write(topic, user, 2); // missed while away
  const fetched = new Map<number, number>();
  const reading = kafkaPriorityLog({ kafka: countingFetches(fetched), admin, decode, groupPrefix: unique('test.push.replay') });
  const delivered: bigint[] = [];
  const started = Date.now();
  await reading.replay(user, new Map([[topic, { partition: own, offset: 0n }]]), (record) => delivered.push(record.offset), AbortSignal.timeout(30_000));
  const elsewhere = [...fetched].filter(([partition]) => partition !== own).reduce((sum, [, count]) => sum + count, 0);
  console.log(`replay of 2 records beside ${others} on other partitions: ${fetched.get(own) ?? 0} fetched from the user's partition, ${elsewhere} from the others, ${Date.now() - started} ms`);
  assert.equal(delivered.length, 2, 'expected the two missed records');
  assert.is(elsewhere, 0, 'expected nothing fetched from partitions that hold none of the user\'s records');
});

test.run();
