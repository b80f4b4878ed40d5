// `npm run bench:encode [-- --rounds R]`
//
// What the Kafka client spends encoding a produce request, framing included, in this process and
// without a broker: the CPU a stage pays per output record before the socket write. Requests as the stages send
// them (idempotent, no compression, six partitions of one topic, keys and three headers), for a
// 1 KB value (a raw webhook) and a 200 B value (an Avro event). Each round encodes 100 requests of
// 504 records per shape; the median of the rounds is printed with the fastest and slowest. No
// broker is involved, so the numbers hold still from run to run where the benchmarks on Kafka
// vary with the broker and the neighbours on the machine.
import { createRequire } from 'node:module';
import { median } from './support/median.ts';

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

const flag = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const rounds = Number(flag('rounds') ?? 7);
const requests = 100;
const partitions = 6;
const perPartition = 84;
const headers = { 'x-request-id': 'r-0000000000', 'received-at': '1767225600000', 'content-type': 'application/json' };

async function encodeRound(value: Buffer): Promise<{ micros: number; bytes: number }> {
  const producerId = Long.fromInt(4_242);
  let bytes = 0;
  const cpu = process.cpuUsage();
  for (let r = 0; r < requests; r += 1) {
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

console.log(`bench:encode — kafkajs produce requests of ${partitions * perPartition} records (${partitions} partitions), ${requests} per round, ${rounds} rounds`);
console.log('| value | µs CPU/record (median) | fastest–slowest | request bytes |');
console.log('|---|---|---|---|');
for (const size of [1_024, 200]) {
  const value = Buffer.alloc(size, 'x');
  await encodeRound(value); // warm the code paths before measuring
  const runs: Array<{ micros: number; bytes: number }> = [];
  for (let round = 0; round < rounds; round += 1) runs.push(await encodeRound(value));
  const micros = runs.map((run) => run.micros);
  console.log(`| ${size} B | ${median(micros).toFixed(2)} | ${Math.min(...micros).toFixed(2)}–${Math.max(...micros).toFixed(2)} | ${Math.round(runs[0]!.bytes / requests).toLocaleString('en-US')} |`);
}
