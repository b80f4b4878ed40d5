import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DependencyUnavailableError, RecordError, StreamsBuilder, dlqHeaders, serdes, type StreamRecord } from '../../src/streams/index.ts';
import { TopologyTestDriver, memorySchemaStore } from '../../src/streams/testing/index.ts';

interface Reading {
  user: string;
  hrv: number;
}

function readingsTopology() {
  const builder = new StreamsBuilder('example');
  builder
    .stream('readings', { topics: ['in.readings'], key: serdes.string(), value: serdes.json<Reading>() })
    .map('key-by-user', (record) => ({ ...record, key: record.value.user, headers: { ...record.headers, keyed: 'yes' } }))
    .filter('drop-zero', (record) => record.value.hrv !== 0)
    .mapValues('to-ms', (value) => ({ ...value, hrvMs: value.hrv * 1000 }))
    .to('out', { topic: 'out.readings', key: serdes.string(), value: serdes.json<Reading & { hrvMs: number }>() });
  return builder.build();
}

test('driver: records flow through map, filter and mapValues to the sink with key and headers', async () => {
  const driver = new TopologyTestDriver(readingsTopology());
  const input = driver.inputTopic('in.readings', serdes.string(), serdes.json<Reading>());
  await input.pipe({ value: { user: 'u1', hrv: 0.042 }, headers: { 'x-request-id': 'r1' }, timestamp: 1_000 });
  await input.pipe({ value: { user: 'u2', hrv: 0 } });
  const out = await driver.outputTopic('out.readings', serdes.string(), serdes.json<Reading & { hrvMs: number }>()).readRecords();
  assert.is(out.length, 1, 'the zero reading is filtered, the other passes');
  assert.is(out[0]?.key, 'u1', 're-keyed by user');
  assert.is(out[0]?.value.hrvMs, 42, 'value mapped');
  assert.equal(out[0]?.headers, { 'x-request-id': 'r1', keyed: 'yes' }, 'input headers kept, step header added');
  assert.is(out[0]?.timestamp, 1_000, 'timestamp travels with the record');
  assert.equal(driver.deadLetters(), [], 'nothing dead-lettered');
});

test('driver: malformed JSON becomes a dead letter with the input bytes and dlq headers', async () => {
  const driver = new TopologyTestDriver(readingsTopology(), { now: () => 123 });
  await driver.inputTopic('in.readings', serdes.string(), serdes.bytes()).pipe({ key: 'k', value: Buffer.from('{not json'), headers: { h: 'v' } });
  const [letter, ...rest] = driver.deadLetters();
  assert.is(rest.length, 0, 'exactly one dead letter');
  assert.is(letter?.reason, 'deserialization_failed', 'reason names the failure');
  assert.is(letter?.value?.toString(), '{not json', 'value bytes unchanged');
  assert.is(letter?.key?.toString(), 'k', 'key bytes unchanged');
  assert.is(letter?.headers['h'], 'v', 'original header kept');
  assert.is(letter?.headers['dlq-source'], 'in.readings/0/0', 'source coordinates');
  assert.is(letter?.headers['dlq-failed-at'], '123', 'failure time from the clock');
  assert.ok(!letter?.detail.includes('not json'), `detail does not quote the payload: ${letter?.detail}`);
});

test('driver: transient errors are retried, then dead-lettered as processing_failed', async () => {
  let calls = 0;
  const builder = new StreamsBuilder('flaky');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .peek('flaky-lookup', () => {
      calls += 1;
      throw new Error('timeout');
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build(), { retry: { maxRetries: 2 } });
  const retries: number[] = [];
  driver.events.on('retried', (e) => retries.push(e.attempt));
  await driver.inputTopic('in', serdes.string(), serdes.string()).pipe({ value: 'x' });
  assert.is(calls, 3, 'one attempt plus two retries');
  assert.equal(retries, [2, 3], 'retried events for attempts 2 and 3');
  const [letter] = driver.deadLetters();
  assert.is(letter?.reason, 'processing_failed', 'generic failure reason');
  assert.is(letter?.headers['dlq-attempts'], '3', 'attempts counted');
  assert.is(letter?.headers[dlqHeaders.node], 'flaky-lookup', 'the failing node is named');
});

test('driver: a RecordError is dead-lettered at once with its reason and no retry', async () => {
  let calls = 0;
  const builder = new StreamsBuilder('strict');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .map('verify', (record) => {
      calls += 1;
      if (record.value === 'bad') throw new RecordError('bad_signature', 'no secret matched');
      return record;
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build());
  await driver.inputTopic('in', serdes.string(), serdes.string()).pipe({ value: 'bad' });
  assert.is(calls, 1, 'not retried');
  assert.equal(driver.deadLetters().map((d) => [d.reason, d.detail]), [['bad_signature', 'no secret matched']], 'reason and detail from the error');
});

test('driver: DependencyUnavailableError rejects pipe and writes nothing', async () => {
  const builder = new StreamsBuilder('down');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .mapAsync('lookup', async () => {
      throw new DependencyUnavailableError('postgres', 1_000);
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build());
  const error = await driver.inputTopic('in', serdes.string(), serdes.string()).pipe({ value: 'x' }).then(() => undefined, (e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'the unavailable dependency surfaces');
  assert.equal(driver.writtenTopics(), [], 'no output, no dead letter');
});

test('driver: branch sends each record to the first matching branch; flatMap fans out', async () => {
  const builder = new StreamsBuilder('router');
  const branches = builder
    .stream('in', { topics: [/^in\./], key: serdes.string(), value: serdes.json<number[]>() })
    .flatMap('split', (record) => record.value.map((n) => ({ ...record, value: [n] })))
    .branch('by-size', { big: (r) => (r.value[0] ?? 0) >= 10, small: () => true });
  branches.big.to('big-out', { topic: 'big', key: serdes.string(), value: serdes.json<number[]>() });
  branches.small.to('small-out', { topic: (r) => `small.${r.topic}`, key: serdes.string(), value: serdes.json<number[]>() });
  const driver = new TopologyTestDriver(builder.build());
  await driver.inputTopic('in.a', serdes.string(), serdes.json<number[]>()).pipe({ key: 'k', value: [1, 20, 3] });
  const big = await driver.outputTopic('big', serdes.string(), serdes.json<number[]>()).readRecords();
  const small = await driver.outputTopic('small.in.a', serdes.string(), serdes.json<number[]>()).readRecords();
  assert.equal(big.map((r) => r.value), [[20]], 'big branch gets 20');
  assert.equal(small.map((r) => r.value), [[1], [3]], 'small branch gets the rest in order, on a per-record topic');
});

test('driver: Avro values round-trip through the memory schema store', async () => {
  const schema = { type: 'record' as const, name: 'Ping', fields: [{ name: 'n', type: 'int' }] };
  const store = memorySchemaStore();
  const ping = serdes.avro<{ n: number }>({ store, schema });
  const builder = new StreamsBuilder('avro-example');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: ping })
    .mapValues('double', (v) => ({ n: v.n * 2 }))
    .to('out', { topic: 'out', key: serdes.string(), value: ping });
  const driver = new TopologyTestDriver(builder.build());
  await driver.inputTopic('in', serdes.string(), ping).pipe({ value: { n: 21 } });
  const [out] = await driver.outputTopic('out', serdes.string(), ping).readRecords();
  assert.equal({ ...out?.value }, { n: 42 }, 'decoded through the schema store');
});

test('driver: a store and a topic in one topology; a record the store refuses is dead-lettered without its topic output', async () => {
  const batches: string[][] = [];
  const builder = new StreamsBuilder('store-and-topic');
  const readings = builder.stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() });
  readings.to('copy', { topic: 'copy', key: serdes.string(), value: serdes.string() });
  readings.toStore(
    'rows',
    {
      async write(records: ReadonlyArray<StreamRecord<string, string>>) {
        batches.push(records.map((r) => r.value));
        if (records.some((r) => r.value === 'poison')) throw new RecordError('constraint_violation', 'row refused');
      },
    },
    { maxBatch: 3 },
  );
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.inputTopic('in', serdes.string(), serdes.string());
  for (const value of ['a', 'poison', 'b', 'c']) await input.queue({ key: value, value });
  const retries: string[] = [];
  driver.events.on('retried', (e) => retries.push(e.node));
  assert.equal(await driver.flush(), { written: 6 }, 'expected three rows and three topic records written');
  assert.equal(batches, [['a', 'poison', 'b'], ['a'], ['poison'], ['b'], ['c']], 'expected a batch of maxBatch rows, narrowed record by record when refused, then the rest');
  assert.equal(retries, [], 'expected a RecordError from the store not to be retried');
  const copies = await driver.outputTopic('copy', serdes.string(), serdes.string()).readRecords();
  assert.equal(copies.map((r) => r.value), ['a', 'b', 'c'], 'expected the refused record to leave no topic output behind');
  const letters = driver.deadLetters();
  assert.equal(letters.map((l) => [l.value?.toString(), l.reason, l.headers[dlqHeaders.node]]), [['poison', 'constraint_violation', 'rows']], 'expected the refused record dead-lettered by the store node');
  assert.is(driver.committedOffset('in'), '4', 'expected the chunk committed after the writes');
});

test.run();
