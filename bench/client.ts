// `npm run bench:client [-- --records N] [-- --rounds R]`
//
// The Kafka client decision in numbers: kafkajs against @platformatic/kafka on the native broker,
// for what the pipeline does — idempotent acks=all produce of 1 KB values with three headers in
// batches, a group consume of the same records, and a transactional consume-transform-produce
// (outputs and input offsets in one transaction per chunk). Each measurement runs in its own
// child process so its CPU (user + system, process.cpuUsage) is the client's alone; rounds
// alternate the clients and the medians are printed. CPU µs per record is the number to compare:
// records/s on a shared 2-core machine also carries the broker's load.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, FetchIsolationLevels, Producer, type Message } from '@platformatic/kafka';
import { loadConfig } from '../src/config/index.ts';
import { median } from './support/median.ts';
import { runChild } from './support/child-run.ts';
import { countFlag, flag } from './support/options.ts';
import { recordHeaders as headers } from './support/record-headers.ts';
import { reliableProducer } from '../src/streams/producers.ts';

type Client = 'kafkajs' | 'platformatic';
type Phase = 'produce' | 'consume' | 'transform';
interface Measurement {
  client: Client;
  phase: Phase;
  records: number;
  seconds: number;
  cpuMicros: number;
}

const config = loadConfig();
const brokers = [...config.KAFKA_BROKERS];
const chunk = 500; // records per produce request and per transaction (1 KB each: under the topic's 1 MiB batch limit)
const value = Buffer.alloc(1_024, 'x');

async function kafkajsRun(phase: Phase, source: string, target: string, records: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-client', brokers, logLevel: process.env['BENCH_DEBUG'] ? logLevel.ERROR : logLevel.NOTHING });
  if (phase === 'produce') {
    const producer = reliableProducer(kafka);
    await producer.connect();
    for (let sent = 0; sent < records; sent += chunk) {
      const messages = Array.from({ length: Math.min(chunk, records - sent) }, (_, i) => ({ key: `user-${(sent + i) % 1_000}`, value, headers }));
      await producer.send({ topic: target, acks: -1, messages });
    }
    await producer.disconnect();
    return;
  }
  const groupId = `bench.client.${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxBytesPerPartition: 4_194_304 });
  // The stages' producer settings, its 20 ms first retry of CONCURRENT_TRANSACTIONS included (kafkajs's own waits 300 ms).
  const producer = phase === 'transform' ? reliableProducer(kafka, `bench-client-${randomUUID()}`) : undefined;
  await consumer.connect();
  await producer?.connect();
  await consumer.subscribe({ topics: [source], fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: phase === 'consume',
        // One transaction at a time per transactional producer: kafkajs refuses overlapping ones.
        partitionsConsumedConcurrently: producer ? 1 : 3,
        eachBatchAutoResolve: phase === 'consume',
        eachBatch: async ({ batch, resolveOffset }) => {
          if (producer) {
            for (let start = 0; start < batch.messages.length; start += chunk) {
              const part = batch.messages.slice(start, start + chunk);
              const tx = await producer.transaction();
              await tx.send({ topic: target, acks: -1, messages: part.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {} })) });
              const next = (BigInt(part.at(-1)!.offset) + 1n).toString();
              await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
              await tx.commit();
              resolveOffset(part.at(-1)!.offset);
            }
          }
          seen += batch.messages.length;
          if (seen >= records) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer?.disconnect();
}

/**
 * The library retries every error after a fixed 1 s. A transaction begun right after the last
 * commit is often answered CONCURRENT_TRANSACTIONS while the broker still writes that commit's
 * markers; the Java client retries that one after 20 ms, so this does too (else the bench
 * measures a sleep, not the client).
 */
function transactionRetryDelay(_client: unknown, _operation: string, attempt: number, _retries: number, error: Error): number {
  const concurrent = (error as { findBy?: (property: string, value: unknown) => unknown }).findBy?.('apiId', 'CONCURRENT_TRANSACTIONS');
  return concurrent ? 20 : Math.min(100 * 2 ** attempt, 1_000);
}

async function platformaticRun(phase: Phase, source: string, target: string, records: number): Promise<void> {
  if (phase === 'produce') {
    const producer = new Producer({ clientId: 'bench-client', bootstrapBrokers: brokers, idempotent: true, acks: -1 });
    for (let sent = 0; sent < records; sent += chunk) {
      const messages = Array.from({ length: Math.min(chunk, records - sent) }, (_, i) => ({
        topic: target,
        key: Buffer.from(`user-${(sent + i) % 1_000}`),
        value,
        headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
      }));
      await producer.send({ messages });
    }
    await producer.close();
    return;
  }
  const groupId = `bench.client.${randomUUID()}`;
  const consumer = new Consumer({ clientId: 'bench-client', bootstrapBrokers: brokers, groupId, isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxBytesPerPartition: 4_194_304 });
  const producer =
    phase === 'transform'
      ? new Producer({ clientId: 'bench-client', bootstrapBrokers: brokers, idempotent: true, acks: -1, transactionalId: `bench-client-${randomUUID()}`, retryDelay: transactionRetryDelay })
      : undefined;
  const stream = await consumer.consume({ topics: [source], mode: 'earliest', autocommit: phase === 'consume' ? 1_000 : false });
  let seen = 0;
  const pending: Message[] = [];
  let flushing = false;
  await new Promise<void>((resolve, reject) => {
    const flush = async (): Promise<void> => {
      if (flushing || !producer) return;
      flushing = true;
      try {
        while (pending.length > 0) {
          const part = pending.splice(0, chunk);
          const tx = await producer.beginTransaction();
          await tx.send({ messages: part.map((m) => ({ topic: target, key: m.key, value: m.value, headers: m.headers })) });
          await tx.addConsumer(consumer);
          // The newest record of each partition carries the offset to commit.
          const newest = new Map<number, Message>();
          for (const m of part) newest.set(m.partition, m);
          for (const m of newest.values()) await tx.addOffset(m);
          await tx.commit();
          seen += part.length;
        }
        if (seen >= records) resolve();
      } catch (error) {
        reject(error);
      } finally {
        flushing = false;
      }
    };
    stream.on('data', (message: Message) => {
      if (!producer) {
        if (++seen >= records) resolve();
        return;
      }
      pending.push(message);
      if (pending.length >= chunk) void flush();
      else setImmediate(() => void flush());
    });
    stream.on('error', reject);
  });
  await stream.close();
  await consumer.close();
  await producer?.close();
}

async function measureOne(client: Client, phase: Phase, source: string, target: string, records: number): Promise<Measurement> {
  const began = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await (client === 'kafkajs' ? kafkajsRun(phase, source, target, records) : platformaticRun(phase, source, target, records));
  const used = process.cpuUsage(cpu);
  return { client, phase, records, seconds: Number(process.hrtime.bigint() - began) / 1e9, cpuMicros: used.user + used.system };
}

async function createTopics(names: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-client', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: names.map((topic) => ({ topic, numPartitions: 6 })) });
  await admin.disconnect();
}

const child = flag('child');
if (child !== undefined) {
  const [client, phase, source, target, records] = child.split(',') as [Client, Phase, string, string, string];
  console.log(JSON.stringify(await measureOne(client, phase, source, target, Number(records))));
  process.exit(0);
}

const records = countFlag('records', 100_000);
const rounds = countFlag('rounds', 3);
const self = fileURLToPath(import.meta.url);
const results: Measurement[] = [];
for (let round = 0; round < rounds; round++) {
  const clients: Client[] = round % 2 === 0 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
  for (const client of clients) {
    const id = randomUUID().slice(0, 8);
    const input = `bench.client.${id}.in`;
    const output = `bench.client.${id}.out`;
    await createTopics([input, output]);
    for (const [phase, source, target] of [['produce', '', input], ['consume', input, ''], ['transform', input, output]] as const) {
      const m = runChild<Measurement>(self, 'child', [client, phase, source, target, records], `${client} ${phase}`);
      results.push(m);
      console.log(`round ${round + 1}: ${client} ${phase}: ${Math.round(m.records / m.seconds).toLocaleString('en-US')} records/s, ${(m.cpuMicros / m.records).toFixed(1)} µs CPU/record`);
    }
  }
}

console.log(`\nbench:client — ${records.toLocaleString('en-US')} records of 1 KB + 3 headers, medians of ${rounds} rounds (each run in its own process, includes connecting)`);
console.log('| phase | kafkajs records/s | kafkajs µs CPU/record | @platformatic/kafka records/s | @platformatic/kafka µs CPU/record |');
console.log('|---|---|---|---|---|');
for (const phase of ['produce', 'consume', 'transform'] as const) {
  const of = (client: Client) => results.filter((r) => r.client === client && r.phase === phase);
  const rate = (client: Client) => Math.round(median(of(client).map((r) => r.records / r.seconds))).toLocaleString('en-US');
  const cpu = (client: Client) => median(of(client).map((r) => r.cpuMicros / r.records)).toFixed(1);
  console.log(`| ${phase} | ${rate('kafkajs')} | ${cpu('kafkajs')} | ${rate('platformatic')} | ${cpu('platformatic')} |`);
}
