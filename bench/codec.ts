// `npm run bench:codec [-- --rounds R]`
//
// What the Kafka client spends on the protocol, in this process and without a broker: encoding a
// produce request, framing included (the CPU a stage pays per output record before the socket
// write), and decoding the record batches a fetch brings (per input record, before the stage sees
// it). Records as the stages send them (idempotent, no compression, six partitions of one topic,
// keys and three headers), for a 1 KB value (a raw webhook) and a 200 B value (an Avro event).
// Each round encodes 100 requests of 504 records per shape and decodes as many records; the
// median of the rounds is printed with the fastest and slowest. No broker is involved, so the
// numbers hold still from run to run where the benchmarks on Kafka vary with the broker and the
// neighbours on the machine.
import { createRequire } from 'node:module';
import { median } from './support/median.ts';
import { countFlag } from './support/options.ts';
import { recordHeaders as headers } from './support/record-headers.ts';

const require = createRequire(import.meta.url);
interface ProduceMessage {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}
type ProduceRequest = (options: {
  acks: number;
  timeout: number;
  producerId: unknown;
  producerEpoch: number;
  topicData: Array<{ topic: string; partitions: Array<{ partition: number; firstSequence: number; messages: ProduceMessage[] }> }>;
}) => { encode(): Promise<{ size(): number }> };
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as ProduceRequest;
/** The framing every request gets before the socket write: size, api key and version, correlation id, client id. */
const framed = require('kafkajs/src/protocol/request.js') as (options: { correlationId: number; clientId: string; request: { apiKey: number; apiVersion: number; encode(): Promise<{ size(): number }> } }) => Promise<{ size(): number }>;
const Long = require('kafkajs/src/utils/long.js') as { fromInt(value: number): unknown };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(options: object): Promise<{ buffer: Buffer }> };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: object) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<{ records: unknown[] }>;

const rounds = countFlag('rounds', 7);
const requests = 100;
const partitions = 6;
const perPartition = 84;

async function encodeRound(value: Buffer): Promise<{ micros: number; bytes: number }> {
  const producerId = Long.fromInt(4_242);
  let bytes = 0;
  const cpu = process.cpuUsage();
  for (let r = 0; r < requests; r += 1) {
    // Built inside the measurement: a stage builds a chunk's message objects for every send too.
    const topicData = [
      {
        topic: 'bench.encode',
        partitions: Array.from({ length: partitions }, (_, partition) => ({
          partition,
          firstSequence: r * perPartition,
          messages: Array.from({ length: perPartition }, (_, i) => ({ key: `user-${i}`, value, headers, timestamp: String(1_767_225_600_000 + i) })),
        })),
      },
    ];
    const { encode } = produceRequest({ acks: -1, timeout: 30_000, producerId, producerEpoch: 0, topicData });
    bytes += (await framed({ correlationId: r, clientId: 'bridge-enrich', request: { apiKey: 0, apiVersion: 7, encode } })).size();
  }
  const used = process.cpuUsage(cpu);
  return { micros: (used.user + used.system) / (requests * partitions * perPartition), bytes };
}

/** A fetched partition's record batch, as the broker hands it back: the records of one produce batch. */
async function fetchedBatch(value: Buffer): Promise<Buffer> {
  const records = Array.from({ length: perPartition }, (_, i) => encodeRecord({ offsetDelta: i, timestampDelta: i, key: `user-${i}`, value, headers }));
  const firstTimestamp = 1_767_225_600_000;
  return (await RecordBatch({ records, firstTimestamp, maxTimestamp: firstTimestamp + perPartition, producerId: Long.fromInt(4_242), firstSequence: 0, lastOffsetDelta: perPartition - 1 })).buffer;
}

async function decodeRound(batch: Buffer): Promise<number> {
  let decoded = 0;
  const cpu = process.cpuUsage();
  for (let r = 0; r < requests * partitions; r += 1) decoded += (await decodeBatch(new Decoder(batch))).records.length;
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / decoded;
}

console.log(`bench:codec — kafkajs: produce requests of ${partitions * perPartition} records (${partitions} partitions), ${requests} per round, and as many fetched records decoded; ${rounds} rounds`);
console.log('| value | encode µs CPU/record (median) | fastest–slowest | decode µs CPU/record (median) | fastest–slowest | request bytes |');
console.log('|---|---|---|---|---|---|');
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
for (const size of [1_024, 200]) {
  const value = Buffer.alloc(size, 'x');
  const batch = await fetchedBatch(value);
  await encodeRound(value); // warm the code paths before measuring
  await decodeRound(batch);
  const encoded: Array<{ micros: number; bytes: number }> = [];
  const decoded: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    encoded.push(await encodeRound(value));
    decoded.push(await decodeRound(batch));
  }
  const encode = encoded.map((run) => run.micros);
  console.log(`| ${size} B | ${median(encode).toFixed(2)} | ${spread(encode)} | ${median(decoded).toFixed(2)} | ${spread(decoded)} | ${Math.round(encoded[0]!.bytes / requests).toLocaleString('en-US')} |`);
}
