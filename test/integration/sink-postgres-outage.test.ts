import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import type pg from 'pg';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { createEventWriter, createPostgresBreaker, createPostgresPool, migrate } from '../../src/sink/index.ts';
import { runTopology, serdes, type RunningTopology } from '../../src/streams/index.ts';
import { sinkStage } from '../../topologies/sink.ts';
import { sampleEnriched } from '../support/enriched-event.ts';
import { config, createTopics, kafkaClient, pgPool, schemaStore, unique } from '../support/services.ts';
import { startTcpProxy, viaProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { waitUntil } from '../support/wait-until.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

const kafka = kafkaClient();
const store = schemaStore();
const source = unique('test.enriched');
const dlq = unique('test.dlq.sink');
const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
let admin: Admin;
let producer: Producer;
let proxy: TcpProxy;
let direct: pg.Pool;
let proxied: pg.Pool;
let running: RunningTopology | undefined;

test.before(async () => {
  admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, [source, dlq], 2);
  producer = reliableProducer(kafka);
  await producer.connect();
  direct = pgPool();
  await migrate({ pool: direct });
  const target = new URL(config.DATABASE_URL);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  proxied = createPostgresPool({ connectionString: viaProxy(config.DATABASE_URL, proxy), max: 4, logger: createLogger({ level: 'silent' }), connectTimeoutMs: 1_000 });
});

test.after(async () => {
  await running?.stop();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [source, dlq] });
  await admin.disconnect();
  await proxied.end();
  await direct.end();
  await proxy.close();
});

async function produce(values: EnrichedBiometricEvent[]): Promise<void> {
  await producer.send({
    topic: source,
    acks: -1,
    messages: await Promise.all(values.map(async (v) => ({ key: v.event.userId, value: await serde.serialize(v, source) }))),
  });
}

async function rowsFrom(topic: string): Promise<number> {
  const { rows } = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM biometric_events WHERE src_topic = $1', [topic]);
  return rows[0]?.n ?? 0;
}

async function committed(groupId: string): Promise<bigint> {
  const offsets = await admin.fetchOffsets({ groupId, topics: [source] });
  return offsets.flatMap((t) => t.partitions).reduce((sum, p) => sum + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n), 0n);
}

test('rows are batched into Postgres; an outage loses nothing and dead-letters nothing', async () => {
  const breaker = createPostgresBreaker({ halfOpenAfterMs: 1_000 });
  const states: string[] = [];
  breaker.onStateChange((s) => states.push(s));
  const groupId = unique('test.sink');
  const sink = sinkStage({ schemaStore: store, writer: createEventWriter({ pool: proxied, breaker }), sourceTopic: source, groupId, deadLetterTopic: dlq });
  running = await runTopology(sink, { kafka, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
  const paused = running.events.next('paused');
  const deadLettered: string[] = [];
  running.events.on('dead-lettered', (e) => deadLettered.push(e.reason));

  const before = Array.from({ length: 200 }, () => sampleEnriched());
  await produce(before);
  await waitUntil('the first 200 rows', async () => (await rowsFrom(source)) === 200, { timeoutMs: 60_000 });
  await waitUntil('their offsets committed', async () => (await committed(groupId)) === 200n, { timeoutMs: 30_000 });

  proxy.cut();
  const during = Array.from({ length: 300 }, () => sampleEnriched());
  await produce(during);
  const pause = await paused;
  assert.is(pause.dependency, 'postgres', 'expected the sink to pause on postgres');
  await waitUntil('the breaker to open', () => states.includes('open'), { timeoutMs: 60_000 });
  assert.is(await rowsFrom(source), 200, 'expected no rows while Postgres is cut off');
  assert.is(await committed(groupId), 200n, 'expected no offsets committed for rows that are not durable');

  proxy.restore();
  await waitUntil('all 500 rows after Postgres returns', async () => (await rowsFrom(source)) === 500, { timeoutMs: 90_000 });
  await waitUntil('all offsets committed', async () => (await committed(groupId)) === 500n, { timeoutMs: 30_000 });
  assert.ok(states.includes('closed'), 'expected the breaker to close again after a success');
  assert.equal(deadLettered, [], 'expected no dead letters for an outage');
  const ids = [...before, ...during].map((v) => v.event.eventId);
  const { rows } = await direct.query<{ n: number }>('SELECT count(*)::int AS n FROM biometric_events WHERE event_id = ANY($1)', [ids]);
  assert.is(rows[0]?.n, 500, 'expected exactly one row per produced event');
});

test.run();
