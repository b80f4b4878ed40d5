// `npm run bench:streams`: what the stream runtime costs next to a plain kafkajs loop.
// For each scenario: throughput draining a backlog (records/s between the first and last output)
// with this process's CPU per record meanwhile (the stage under test and the reader, which costs
// the same in every scenario), and end-to-end latency of a paced stream (input create time → output
// seen by a read_committed reader), p50/p99. Needs the stack (`node bin/bridge.js stack up`).
// BENCH_RECORDS (backlog, default 200000: a smaller one drains in a tenth of a second and its rate is noise), BENCH_LATENCY_RECORDS (2000), BENCH_RATE (1000/s),
// BENCH_ROUNDS (3), BENCH_SCENARIOS (below): scenarios run interleaved round by round and the median is reported, so a
// burst of other load on the machine does not decide a comparison.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import { loadConfig } from '../src/config/index.ts';
import { StreamsBuilder, runTopology, serdes, type DeliveryMode, type Topology } from '../src/streams/index.ts';
import { reliableProducer } from '../src/streams/producers.ts';
import { median } from './support/median.ts';
import { countEnv } from './support/options.ts';

const config = loadConfig();
const kafka = new Kafka({ clientId: 'bench-streams', brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const backlog = countEnv('BENCH_RECORDS', 200_000);
const paced = countEnv('BENCH_LATENCY_RECORDS', 2_000);
const rate = countEnv('BENCH_RATE', 1_000); // records per second in the latency phase
const rounds = countEnv('BENCH_ROUNDS', 3);
// Exactly-once: the runtime's transactional producers (its default when unset).
const producers = process.env['BENCH_TRANSACTIONAL_PRODUCERS'] ? { transactionalProducers: countEnv('BENCH_TRANSACTIONAL_PRODUCERS', 1) } : {};
const partitions = 3;
const padding = 'x'.repeat(200); // a small webhook-sized body

interface Stoppable {
  stop(): Promise<void>;
}
interface Result {
  scenario: string;
  recordsPerSecond: number;
  /** This process's CPU per backlog record while it drained: idle waits show as throughput lost at the same CPU. */
  cpuMicrosPerRecord: number;
  p50Ms: number;
  p99Ms: number;
}

function passThrough(name: string): Topology {
  const builder = new StreamsBuilder(name);
  builder
    .stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.bytes() })
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.bytes() });
  return builder.build();
}

function jsonMap(name: string): Topology {
  const builder = new StreamsBuilder(name);
  builder
    .stream('in', { topics: [`${name}.in`], key: serdes.string(), value: serdes.json<{ n: number; pad: string }>() })
    .mapValues('enrich', (value) => ({ ...value, doubled: value.n * 2, tag: value.n % 2 === 0 ? 'even' : 'odd' }))
    .to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.json<{ n: number; pad: string; doubled: number; tag: string }>() });
  return builder.build();
}

/** The baseline: consume a batch, send it, commit (or the same inside one transaction per batch). */
async function plainLoop(name: string, delivery: DeliveryMode): Promise<Stoppable> {
  const consumer: Consumer = kafka.consumer({ groupId: `bridge.${name}`, readUncommitted: false });
  const plain = reliableProducer(kafka);
  const transactional = new Map<number, Producer>();
  await plain.connect();
  const eachBatch = async ({ batch, resolveOffset, commitOffsetsIfNecessary }: EachBatchPayload) => {
    const last = batch.messages.at(-1);
    if (!last) return;
    const messages = batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: m.timestamp }));
    const next = String(BigInt(last.offset) + 1n);
    if (delivery === 'at-least-once') {
      await plain.sendBatch({ topicMessages: [{ topic: `${name}.out`, messages }], acks: -1 });
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
    } else {
      let producer = transactional.get(batch.partition);
      if (!producer) {
        producer = reliableProducer(kafka, `bench-${name}-${batch.partition}`);
        await producer.connect();
        transactional.set(batch.partition, producer);
      }
      const tx = await producer.transaction();
      await tx.sendBatch({ topicMessages: [{ topic: `${name}.out`, messages }], acks: -1 });
      await tx.sendOffsets({ consumerGroupId: `bridge.${name}`, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      await tx.commit();
    }
    resolveOffset(last.offset);
  };
  await consumer.connect();
  await consumer.subscribe({ topic: `${name}.in`, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3, eachBatch });
  return {
    stop: async () => {
      await consumer.disconnect();
      await plain.disconnect();
      await Promise.all([...transactional.values()].map((p) => p.disconnect()));
    },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(scenario: string, start: (name: string) => Promise<Stoppable>): Promise<Result> {
  const name = `bench-${scenario.replace(/[^a-z0-9]+/g, '-')}-${randomUUID().slice(0, 6)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [`${name}.in`, `${name}.out`, `dlq.${name}`].map((topic) => ({ topic, numPartitions: partitions })) });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const record = (n: number) => ({ key: `user-${n % 97}`, value: JSON.stringify({ n, pad: padding }), timestamp: String(Date.now()) });
  for (let i = 0; i < backlog; i += 1_000) await producer.send({ topic: `${name}.in`, acks: -1, messages: Array.from({ length: Math.min(1_000, backlog - i) }, (_, j) => record(i + j)) });

  let seen = 0;
  let firstAt = 0;
  let backlogDoneAt = 0;
  let cpuAtStart = process.cpuUsage();
  let backlogCpu = { user: 0, system: 0 };
  const latencies: number[] = [];
  const reader = kafka.consumer({ groupId: `${name}-reader`, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic: `${name}.out`, fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        seen += 1;
        if (seen === 1) firstAt = now;
        if (seen === backlog) {
          backlogDoneAt = now;
          backlogCpu = process.cpuUsage(cpuAtStart);
        }
        if (seen > backlog) latencies.push(now - Number(message.timestamp));
      }
    },
  });

  cpuAtStart = process.cpuUsage();
  const running = await start(name);
  const waitFor = async (count: number, what: string) => {
    const deadline = Date.now() + 180_000;
    while (seen < count) {
      if (Date.now() > deadline) throw new Error(`${scenario}: ${what}: ${seen} of ${count} outputs after 3 minutes`);
      await delay(20);
    }
  };
  await waitFor(backlog, 'backlog');
  const recordsPerSecond = ((backlog - 1) * 1_000) / Math.max(1, backlogDoneAt - firstAt);
  const cpuMicrosPerRecord = (backlogCpu.user + backlogCpu.system) / backlog;

  // Paced phase: small sends at a steady rate; the sink keeps the input timestamp, so the reader
  // sees create time → visible-downstream time for each record.
  const slice = Math.max(1, Math.round(rate / 50));
  for (let i = 0; i < paced; i += slice) {
    await producer.send({ topic: `${name}.in`, acks: -1, messages: Array.from({ length: Math.min(slice, paced - i) }, (_, j) => record(backlog + i + j)) });
    await delay(1_000 / 50);
  }
  await waitFor(backlog + paced, 'paced records');
  latencies.sort((a, b) => a - b);

  await running.stop();
  await reader.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [`${name}.in`, `${name}.out`, `dlq.${name}`] });
  await admin.disconnect();
  return { scenario, recordsPerSecond, cpuMicrosPerRecord, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

const scenarios: Array<[string, (name: string) => Promise<Stoppable>]> = [];
for (const delivery of ['at-least-once', 'exactly-once'] as const) {
  scenarios.push([`plain kafkajs loop, ${delivery}`, (name) => plainLoop(name, delivery)]);
  scenarios.push([`runtime pass-through, ${delivery}`, (name) => runTopology(passThrough(name), { kafka, delivery, ...producers })]);
  scenarios.push([`runtime json-map, ${delivery}`, (name) => runTopology(jsonMap(name), { kafka, delivery, ...producers })]);
}

// BENCH_SCENARIOS=<text>[|<text>…] runs only the scenarios whose names contain one of them (e.g. under a profiler).
const only = process.env['BENCH_SCENARIOS']?.split('|');
if (only) scenarios.splice(0, scenarios.length, ...scenarios.filter(([scenario]) => only.some((part) => scenario.includes(part))));

console.log(`stream runtime benchmark: ${backlog} backlog records, then ${paced} at ${rate}/s; ${partitions} partitions; median of ${rounds} interleaved rounds`);
const measured = new Map<string, Result[]>();
for (let round = 1; round <= rounds; round += 1) {
  for (const [scenario, start] of scenarios) {
    const result = await measure(scenario, start);
    measured.set(scenario, [...(measured.get(scenario) ?? []), result]);
    console.log(`  round ${round}: ${scenario.padEnd(38)} ${Math.round(result.recordsPerSecond).toString().padStart(8)} records/s ${result.cpuMicrosPerRecord.toFixed(1).padStart(6)} µs CPU/record   p50 ${result.p50Ms} ms   p99 ${result.p99Ms} ms`);
  }
}
const results: Result[] = [...measured].map(([scenario, all]) => ({
  scenario,
  recordsPerSecond: median(all.map((r) => r.recordsPerSecond)),
  cpuMicrosPerRecord: median(all.map((r) => r.cpuMicrosPerRecord)),
  p50Ms: median(all.map((r) => r.p50Ms)),
  p99Ms: median(all.map((r) => r.p99Ms)),
}));
console.log('\nmedians');
for (const r of results) console.log(`${r.scenario.padEnd(38)} ${Math.round(r.recordsPerSecond).toString().padStart(8)} records/s ${r.cpuMicrosPerRecord.toFixed(1).padStart(6)} µs CPU/record   p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms`);
for (const delivery of ['at-least-once', 'exactly-once']) {
  const base = results.find((r) => r.scenario === `plain kafkajs loop, ${delivery}`);
  for (const r of results.filter((x) => x.scenario.startsWith('runtime') && x.scenario.endsWith(delivery))) {
    if (base) console.log(`${r.scenario}: ${((r.recordsPerSecond / base.recordsPerSecond) * 100).toFixed(0)} % of the plain loop's throughput, ${(r.cpuMicrosPerRecord / base.cpuMicrosPerRecord).toFixed(2)}× its CPU per record`);
  }
}
