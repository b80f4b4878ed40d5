// DELIVERY_SINK=exactly-once: the sink runs as a topology of the one runtime; rows land once, and
// each chunk's dead letters and offsets commit in a Kafka transaction after its rows are durable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import { createEventWriter, createPostgresBreaker, migrate } from '../../src/sink/index.ts';
import { dlqHeaders, runTopology, serdes } from '../../src/streams/index.ts';
import { sinkStage } from '../../topologies/sink.ts';
import { sampleEnriched } from '../support/enriched-event.ts';
import { createTopics, kafkaClient, pgPool, schemaStore, unique } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { produce, readAll } from './streams-support.ts';

test('exactly-once sink: every row once, the bad record dead-lettered in the transaction, offsets at the end', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const pool = pgPool();
  await migrate({ pool });
  const source = unique('test.enriched-eos');
  const dlq = unique('test.dlq.sink-eos');
  await createTopics(admin, [source, dlq], 2);
  const store = schemaStore();
  const serde = serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema });
  const groupId = unique('test.sink-eos');
  const topology = sinkStage({
    schemaStore: store,
    writer: createEventWriter({ pool, breaker: createPostgresBreaker() }),
    sourceTopic: source,
    groupId,
    deadLetterTopic: dlq,
    maxBatchRecords: 50,
    maxConcurrentWrites: 2,
  });
  const running = await runTopology(topology, { kafka, delivery: 'exactly-once', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  const commits: boolean[] = [];
  running.events.on('committed', (e) => commits.push(e.transactional));
  const rows = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM biometric_events WHERE src_topic = $1', [source])).rows[0]?.n ?? 0;
  try {
    const values = Array.from({ length: 300 }, () => sampleEnriched());
    await produce(kafka, source, [
      ...(await Promise.all(values.map(async (v) => ({ key: v.event.userId, value: await serde.serialize(v, source) })))),
      { key: 'not-avro', value: Buffer.from('not avro'), partition: 0 },
    ]);
    await waitUntil('every row in Postgres', async () => (await rows()) === 300, { timeoutMs: 60_000 });
    const ends = await admin.fetchTopicOffsets(source);
    await waitUntil('offsets committed to the end', async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [source] });
      return ends.every((end) => committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
    }, { timeoutMs: 30_000 });

    const { rows: stored } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM biometric_events WHERE event_id = ANY($1)', [values.map((v) => v.event.eventId)]);
    assert.is(stored[0]?.n, 300, 'expected exactly one row per event');
    assert.ok(commits.length > 0 && commits.every(Boolean), 'expected every commit to be transactional');
    assert.ok(commits.length >= 300 / 50, `expected chunks of at most 50 rows, one commit each (saw ${commits.length} commits)`);
    const letters = await readAll(kafka, dlq);
    assert.equal(
      letters.map((l) => [l.value, l.headers[dlqHeaders.reason], l.headers[dlqHeaders.node]]),
      [['not avro', 'deserialization_failed', 'enriched-events']],
      'expected the one bad record dead-lettered, visible to read_committed readers',
    );
  } finally {
    await running.stop();
    await admin.deleteTopics({ topics: [source, dlq] });
    await admin.disconnect();
    await pool.end();
  }
});

test.run();
