// `npm run bench:sink [-- N]`: puts N enriched events (default 200 000) on a fresh topic, runs the
// sink stage against the local Postgres and prints rows/s until every row is in the table.
// The machine is shared, so it also prints CPU per row of this process and of the sink's Postgres
// backends: those move less than wall time when other benchmarks run beside it.
import type { Schema } from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { loadConfig } from '../src/config/index.ts';
import type { EnrichedBiometricEvent } from '../src/events/index.ts';
import { createLogger } from '../src/obs/logger.ts';
import { createEventWriter, createPostgresBreaker, createPostgresPool, migrate } from '../src/sink/index.ts';
import { stageRunOptions } from '../src/app/stage-run-options.ts';
import { runTopology, serdes } from '../src/streams/index.ts';
import { bridgeSchemas, createRegistryClient, registrySchemaStore } from '../src/schemas/index.ts';
import { sinkStage } from '../topologies/sink.ts';
import { countArgument, countEnv } from './support/options.ts';

const config = loadConfig();
const total = countArgument('rows', 200_000);
const partitions = 6;
// Partitions written at once: like `bridge run sink`, up to the pool size unless BENCH_CONCURRENCY says.
const concurrency = countEnv('BENCH_CONCURRENCY', config.PG_POOL_MAX);
const run = randomUUID().slice(0, 8);
const topic = `bench.enriched-${run}`;
const log = createLogger({ level: 'warn' });
const kafka = new Kafka({ clientId: `bench-sink-${run}`, brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const store = registrySchemaStore(createRegistryClient(config.SCHEMA_REGISTRY_URL));
const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: config.PG_POOL_MAX, logger: log, applicationName: 'biometric-bridge-sink' });

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
await migrate({ pool });

const producer = kafka.producer();
await producer.connect();
const now = Date.now();
for (let sent = 0; sent < total; sent += 5_000) {
  const messages = [];
  for (let i = sent; i < Math.min(total, sent + 5_000); i += 1) {
    const userId = `bench-user-${i % 1_000}`;
    const value: EnrichedBiometricEvent = {
      event: {
        eventId: `${run}-${i}`, userId, source: 'OURA', dataType: 'sleep', deviceType: null, occurredAt: now - i, receivedAt: now,
        hrvRmssdMs: 20 + (i % 40), restingHeartRateBpm: 55, sleepScore: 60 + (i % 30), recoveryScore: null, readinessScore: 80,
        temperatureDeltaC: 0.1, stressLevel: null, readings: [{ metric: 'steps', value: i, unit: 'count' }], op: 'UPSERT',
      },
      triggers: [], priority: 'normal', enrichedAt: now,
    };
    messages.push({ key: userId, value: await serde.serialize(value, topic) });
  }
  await producer.send({ topic, acks: -1, messages });
}
await producer.disconnect();
console.log(`produced ${total} records on ${topic} (${partitions} partitions)`);

const breaker = createPostgresBreaker();
const sink = sinkStage({ schemaStore: store, writer: createEventWriter({ pool, breaker }), sourceTopic: topic, groupId: `bench.sink-${run}`, deadLetterTopic: topic, maxConcurrentWrites: concurrency, maxBatchRecords: config.SINK_BATCH_MAX });
/** CPU seconds used so far by the Postgres backends serving this pool (Postgres runs on loopback). */
async function backendCpuSeconds(): Promise<number> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', ['biometric-bridge-sink']);
  let ticks = 0;
  for (const { pid } of rows) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime + stime
  }
  return ticks / 100; // USER_HZ
}
const backendCpuBefore = await backendCpuSeconds();
const cpuBefore = process.cpuUsage();
const started = performance.now();
const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 500);
// As `bridge run sink` runs it (stageRunOptions), not with the runtime library's defaults.
const running = await runTopology(sink, { ...stageRunOptions(config), kafka, log });
let written = 0;
let firstWrite = 0;
running.events.on('processed', (e) => {
  firstWrite ||= performance.now();
  written += e.recordsOut['insert-biometric-events'] ?? 0;
});
while (written < total) await new Promise((resolve) => setTimeout(resolve, 100));
const ended = performance.now();
const seconds = (ended - started) / 1_000;
const steady = (ended - firstWrite) / 1_000;
clearInterval(sampler);
const cpu = process.cpuUsage(cpuBefore);
const backendCpu = (await backendCpuSeconds()) - backendCpuBefore;
const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM biometric_events WHERE src_topic = $1', [topic]);
const stored = rows[0]?.n ?? 0;
const perRow = (seconds: number) => `${((seconds * 1e6) / total).toFixed(1)} µs/row`;
console.log(`sink: ${stored} rows in ${seconds.toFixed(2)} s incl. group join = ${Math.round(total / seconds)} rows/s; after the first write ${Math.round(total / steady)} rows/s (batch ${config.SINK_BATCH_MAX}, pool ${config.PG_POOL_MAX}, ${Math.min(concurrency, partitions)} partitions at once); peak RSS ${Math.round(Math.max(...rss) / 1_048_576)} MiB`);
console.log(`cpu: sink process ${perRow((cpu.user + cpu.system) / 1e6)}, its postgres backends ${perRow(backendCpu)}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`);
if (stored !== total) {
  console.error(`row count mismatch: ${total} events produced, ${stored} rows stored`);
  process.exitCode = 1;
}

await running.stop();
await pool.query('DELETE FROM biometric_events WHERE src_topic = $1', [topic]);
await admin.deleteTopics({ topics: [topic] });
await admin.disconnect();
await pool.end();
