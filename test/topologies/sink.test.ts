import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Schema } from 'avsc';
import type { EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas } from '../../src/schemas/index.ts';
import type { EventRow, EventWriter } from '../../src/sink/index.ts';
import { DependencyUnavailableError, dlqHeaders, serdes } from '../../src/streams/index.ts';
import { TopologyTestDriver, memorySchemaStore } from '../../src/streams/testing/index.ts';
import { topics } from '../../src/topics.ts';
import { sinkStage } from '../../topologies/sink.ts';
import { sampleEnriched } from '../support/enriched-event.ts';

/** A writer in memory that can be told to be down or to reject one event id. */
function fakeWriter() {
  const state = { down: false, poison: undefined as string | undefined, calls: [] as EventRow[][], stored: new Map<string, EventRow>() };
  const writer: EventWriter = {
    async write(rows) {
      state.calls.push([...rows]);
      if (state.down) throw new DependencyUnavailableError('postgres', 1_000);
      if (rows.some((row) => row.eventId === state.poison)) throw new Error('value out of range');
      let written = 0;
      for (const row of rows) {
        if (!state.stored.has(row.eventId)) written += 1;
        state.stored.set(row.eventId, row);
      }
      return { written, retracted: 0 };
    },
  };
  return { state, writer };
}

function setup(options: { maxBatchRecords?: number } = {}) {
  const store = memorySchemaStore();
  const { state, writer } = fakeWriter();
  const driver = new TopologyTestDriver(sinkStage({ schemaStore: store, writer, ...options }));
  const input = driver.inputTopic(topics.enriched, serdes.string(), serdes.avro<EnrichedBiometricEvent>({ store, schema: bridgeSchemas().EnrichedBiometricEvent.json as Schema }));
  return { state, driver, input };
}

test('a chunk becomes one write with every row, then its offset is committed', async () => {
  const { state, driver, input } = setup();
  const values = [sampleEnriched(), { ...sampleEnriched(), priority: 'high' as const }, sampleEnriched()];
  for (const value of values) await input.queue({ key: value.event.userId, value });
  assert.is(driver.committedOffset(topics.enriched), undefined, 'expected nothing committed before the write');
  assert.equal(await driver.flush(), { written: 3 }, 'expected three records written');
  assert.is(state.calls.length, 1, 'expected one batched write, not one per record');
  const rows = state.calls[0] ?? [];
  assert.equal(rows.map((r) => r.eventId), values.map((v) => v.event.eventId), 'expected rows in offset order');
  assert.equal(rows.map((r) => r.srcOffset), ['0', '1', '2'], 'expected source offsets on the rows');
  assert.is(rows[1]?.priority, 'high', 'expected the priority');
  assert.is(rows[0]?.schemaId, 1, 'expected the schema id read from the wire header');
  assert.is(driver.committedOffset(topics.enriched), '3', 'expected the offset after the last row committed');
});

test('SINK_BATCH_MAX bounds the rows of one write; each chunk commits its own offset', async () => {
  const { state, driver, input } = setup({ maxBatchRecords: 2 });
  for (let i = 0; i < 5; i += 1) {
    const value = sampleEnriched();
    await input.queue({ key: value.event.userId, value });
  }
  assert.equal(await driver.flush(), { written: 5 }, 'expected all five records written');
  assert.equal(state.calls.map((rows) => rows.length), [2, 2, 1], 'expected writes of at most two rows');
  assert.is(driver.committedOffset(topics.enriched), '5', 'expected the offset after the last chunk committed');
});

test('a record that is not Avro is dead-lettered and the rest are written', async () => {
  const { state, driver, input } = setup();
  const good = sampleEnriched();
  await input.queue({ key: good.event.userId, value: good });
  driver.queueRaw({ topic: topics.enriched, partition: 0, offset: '1', timestamp: 1, key: null, value: Buffer.from('not avro'), headers: {} });
  assert.equal(await driver.flush(), { written: 1 }, 'expected the good record written');
  assert.is(driver.deadLetters()[0]?.reason, 'deserialization_failed', 'expected the bad record dead-lettered with its reason');
  assert.ok(state.stored.has(good.event.eventId), 'expected the good row stored');
  assert.is(driver.committedOffset(topics.enriched), '2', 'expected both offsets committed');
});

test('Postgres unavailable: nothing committed, nothing dead-lettered, rows land once it is back', async () => {
  const { state, driver, input } = setup();
  const values = [sampleEnriched(), sampleEnriched()];
  for (const value of values) await input.queue({ key: value.event.userId, value });
  state.down = true;
  const error = await driver.flush().catch((e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'expected the runner to be told to pause');
  assert.is(driver.committedOffset(topics.enriched), undefined, 'expected no commit while the rows are not durable');
  assert.is(driver.deadLetters().length, 0, 'expected no dead letters for an outage');
  assert.is(driver.pendingCount(), 2, 'expected the records to stay pending');
  state.down = false;
  assert.equal(await driver.flush(), { written: 2 }, 'expected both rows written after recovery');
  assert.is(state.stored.size, 2, 'expected no loss');
  assert.is(driver.committedOffset(topics.enriched), '2', 'expected the commit after the write');
});

test('a row the database rejects is dead-lettered alone after retries; its neighbours land', async () => {
  const { state, driver, input } = setup();
  const values = [sampleEnriched(), sampleEnriched(), sampleEnriched()];
  state.poison = values[1]?.event.eventId;
  for (const value of values) await input.queue({ key: value.event.userId, value });
  assert.equal(await driver.flush(), { written: 2 }, 'expected the two good rows written');
  const letters = driver.deadLetters();
  assert.is(letters.length, 1, 'expected exactly one dead letter');
  assert.is(letters[0]?.reason, 'write_failed', 'expected reason write_failed');
  assert.is(letters[0]?.headers[dlqHeaders.source], `${topics.enriched}/0/1`, 'expected the poison record named by its source position');
  assert.ok(state.stored.has(values[0]!.event.eventId) && state.stored.has(values[2]!.event.eventId), 'expected the neighbours stored');
});

test('describe() shows the source and the store write', () => {
  const { writer } = fakeWriter();
  const text = sinkStage({ schemaStore: memorySchemaStore(), writer, maxConcurrentWrites: 6, maxBatchRecords: 500 }).describe().toString();
  assert.match(text, 'Source: enriched-events (topics: [biometric.enriched]', 'expected the source node');
  assert.match(text, '--> insert-biometric-events', 'expected the source to lead to the store');
  assert.match(text, 'Store: insert-biometric-events (max batch: 500, in flight: 6)', 'expected the store node with its batch size and writes at once');
});

test.run();
