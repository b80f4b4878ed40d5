// `node bench/sink-profile.ts [rounds]`: where one 2,000-record chunk of the sink spends
// its time, without Kafka: the stage's decode and row building (the topology test driver's flush
// with a writer that only keeps the rows), then the write itself, alone and three chunks at once.
import type { Schema } from 'avsc';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/index.ts';
import type { EnrichedBiometricEvent } from '../src/events/index.ts';
import { createLogger } from '../src/obs/logger.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { createEventWriter, createPostgresBreaker, createPostgresPool, migrate, type EventRow } from '../src/sink/index.ts';
import type { RawRecord } from '../src/streams/record.ts';
import { TopologyTestDriver } from '../src/streams/testing/index.ts';
import { sinkStage } from '../topologies/sink.ts';
import { memorySchemaStore, serdes } from '../src/streams/index.ts';
import { median } from './support/median.ts';
import { countArgument } from './support/options.ts';

const config = loadConfig();
const n = 2_000;
const rounds = countArgument('rounds', 10);
const run = randomUUID().slice(0, 8);
const store = memorySchemaStore();
const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
const pool = createPostgresPool({ connectionString: config.DATABASE_URL, max: 8, logger: createLogger({ level: 'warn' }) });
await migrate({ pool });
const writer = createEventWriter({ pool, breaker: createPostgresBreaker() });

function event(i: number, round: number): EnrichedBiometricEvent {
  const now = Date.now();
  return {
    event: {
      eventId: `${run}-${round}-${i}`, userId: `bench-user-${i % 1_000}`, source: 'OURA', dataType: 'sleep', deviceType: null, occurredAt: now - i, receivedAt: now,
      hrvRmssdMs: 20 + (i % 40), restingHeartRateBpm: 55, sleepScore: 60 + (i % 30), recoveryScore: null, readinessScore: 80,
      temperatureDeltaC: 0.1, stressLevel: null, readings: [{ metric: 'steps', value: i, unit: 'count' }], op: 'UPSERT',
    },
    triggers: [], priority: 'normal', enrichedAt: now,
  };
}

let captured: EventRow[] = [];
const stage = sinkStage({ schemaStore: store, writer: { write: async (rows) => ((captured = [...rows]), { written: rows.length, retracted: 0 }) } });
const timings: Record<string, number[]> = { decodeAndRows: [], insert: [], insertParallel3: [] };
const cpu = (f: () => Promise<void> | void) => async (label: string) => {
  const t = performance.now();
  await f();
  timings[label]!.push(performance.now() - t);
};
for (let round = 0; round < rounds; round += 1) {
  const buffers = await Promise.all(Array.from({ length: n }, (_, i) => serde.serialize(event(i, round), 'bench.profile')));
  const raws: RawRecord[] = buffers.map((value, i) => ({ topic: `bench.profile-${run}`, partition: 0, offset: String(i), timestamp: 0, key: null, value, headers: {} }));
  await cpu(async () => {
    const driver = new TopologyTestDriver(stage);
    for (const raw of raws) driver.queueRaw(raw);
    await driver.flush();
  })('decodeAndRows');
  const rows = captured;
  await cpu(async () => {
    await writer.write(rows);
  })('insert');
  const more = [1, 2, 3].map((k) => rows.map((row) => ({ ...row, eventId: `${row.eventId}-p${k}`, srcPartition: k })));
  await cpu(async () => {
    await Promise.all(more.map((r) => writer.write(r)));
  })('insertParallel3');
}
for (const [label, xs] of Object.entries(timings)) console.log(`${label.padEnd(16)} median ${median(xs).toFixed(1)} ms per ${n}-record chunk (min ${Math.min(...xs).toFixed(1)})`);
await pool.query('DELETE FROM biometric_events WHERE src_topic = $1', [`bench.profile-${run}`]);
await pool.end();
