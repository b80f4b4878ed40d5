import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamsBuilder, serdes } from '../../../src/streams/index.ts';

const example = () => {
  const builder = new StreamsBuilder('verify');
  const branches = builder
    .stream('raw-webhooks', { topics: [/^raw\./, 'raw.extra'], key: serdes.string(), value: serdes.bytes() })
    .map('check-signature', (record) => record)
    .filter('drop-replays', () => true)
    .branch('by-size', { big: (r) => (r.value?.length ?? 0) > 10, small: () => true });
  branches.big.to('big-out', { topic: 'verified.big', key: serdes.string(), value: serdes.bytes() });
  branches.small.to('small-out', { topic: (r) => `verified.${r.topic}`, key: serdes.string(), value: serdes.bytes() });
  return builder.build();
};

test('build: defaults group bridge.<name> and dead letters dlq.<name>; options override them', () => {
  const topology = example();
  assert.is(topology.groupId, 'bridge.verify', 'default group');
  assert.is(topology.deadLetterTopic, 'dlq.verify', 'default dead-letter topic');
  const custom = new StreamsBuilder('x', { groupId: 'g', deadLetterTopic: 'dlq.custom' });
  custom.stream('s', { topics: ['t'], key: serdes.string(), value: serdes.string() }).to('o', { topic: 'u', key: serdes.string(), value: serdes.string() });
  const built = custom.build();
  assert.equal([built.groupId, built.deadLetterTopic], ['g', 'dlq.custom'], 'overrides kept');
});

test('describe: data lists nodes with kinds, topics, serdes and links', () => {
  const d = example().describe();
  assert.equal(
    d.nodes.map((n) => [n.name, n.kind]),
    [
      ['raw-webhooks', 'source'],
      ['check-signature', 'map'],
      ['drop-replays', 'filter'],
      ['by-size', 'branch'],
      ['by-size.big', 'branch-edge'],
      ['by-size.small', 'branch-edge'],
      ['big-out', 'sink'],
      ['small-out', 'sink'],
    ],
    'every node in declaration order with its kind',
  );
  const source = d.nodes[0];
  assert.equal(source?.topics, ['/^raw\\./', 'raw.extra'], 'patterns and names as text');
  assert.equal([source?.keySerde, source?.valueSerde], ['string', 'bytes'], 'serde names');
  assert.equal(d.nodes.find((n) => n.name === 'by-size')?.labels, ['big', 'small'], 'branch labels in successor order');
  assert.equal(d.nodes.find((n) => n.name === 'small-out')?.topics, ['<dynamic>'], 'computed topic shown as <dynamic>');
  assert.equal(d.nodes.find((n) => n.name === 'drop-replays')?.predecessors, ['check-signature'], 'predecessor link');
});

test('describe: a dynamic sink that names its topics lists them', () => {
  const builder = new StreamsBuilder('route');
  builder
    .stream('in', { topics: ['enriched'], key: serdes.string(), value: serdes.string() })
    .to('by-priority', { topic: (r) => `priority.${r.value}`, topics: ['priority.high', 'priority.normal'], key: serdes.string(), value: serdes.string() });
  const d = builder.build().describe();
  const sink = d.nodes.find((n) => n.name === 'by-priority');
  assert.equal([sink?.topics, sink?.knownTopics], [['<dynamic>'], ['priority.high', 'priority.normal']], 'still <dynamic>, with the topics it names');
  assert.match(d.toString(), '  Sink: by-priority (topic: <dynamic>, one of [priority.high, priority.normal]; key: string, value: string)');
  assert.is(example().describe().nodes.find((n) => n.name === 'small-out')?.knownTopics, undefined, 'a dynamic sink that names none lists none');
});

test('describe: text reads like Kafka Streams TopologyDescription', () => {
  const text = example().describe().toString();
  const expected = [
    'Topology: verify (group bridge.verify, dead letters dlq.verify)',
    '  Source: raw-webhooks (topics: [/^raw\\./, raw.extra]; key: string, value: bytes)',
    '    --> check-signature',
    '  Processor: check-signature (map)',
    '    --> drop-replays',
    '    <-- raw-webhooks',
    '  Processor: drop-replays (filter)',
    '    --> by-size',
    '    <-- check-signature',
    '  Processor: by-size (branch)',
    '    --> by-size.big [big]',
    '    --> by-size.small [small]',
    '    <-- drop-replays',
    '  Processor: by-size.big (branch-edge)',
    '    --> big-out',
    '    <-- by-size',
    '  Processor: by-size.small (branch-edge)',
    '    --> small-out',
    '    <-- by-size',
    '  Sink: big-out (topic: verified.big; key: string, value: bytes)',
    '    <-- by-size.big',
    '  Sink: small-out (topic: <dynamic>; key: string, value: bytes)',
    '    <-- by-size.small',
  ].join('\n');
  assert.fixture(text, expected, 'text snapshot');
});

test('toStore: a store node ends the chain and shows in describe() with its batch size and writes at once', () => {
  const builder = new StreamsBuilder('sink', { recordConcurrency: 4 });
  const chain = builder.stream('in', { topics: ['t'], key: serdes.string(), value: serdes.string() });
  chain.toStore('insert-rows', { write: async () => undefined }, { maxBatch: 500, maxInFlight: 6 });
  const topology = builder.build();
  assert.equal(topology.stores.map((s) => [s.name, s.maxBatch, s.maxInFlight]), [['insert-rows', 500, 6]], 'the store node with its options');
  assert.is(topology.chunkSize(2_000), 500, 'a store lowers the records one commit covers to its maxBatch');
  const d = topology.describe();
  assert.equal(d.nodes.map((n) => [n.name, n.type, n.successors, n.predecessors]), [['in', 'source', ['insert-rows'], []], ['insert-rows', 'store', [], ['in']]], 'data form');
  assert.is(d.recordConcurrency, 4, 'record concurrency in the data form');
  assert.fixture(
    d.toString(),
    [
      'Topology: sink (group bridge.sink, dead letters dlq.sink, 4 records at once per partition)',
      '  Source: in (topics: [t]; key: string, value: string)',
      '    --> insert-rows',
      '  Store: insert-rows (max batch: 500, in flight: 6)',
      '    <-- in',
    ].join('\n'),
    'text form',
  );
});

test('toStore and recordConcurrency: defaults, and bad numbers refused with what to change', () => {
  const builder = new StreamsBuilder('defaults');
  builder.stream('in', { topics: ['t'], key: serdes.string(), value: serdes.string() }).toStore('rows', { write: async () => undefined });
  const topology = builder.build();
  assert.equal([topology.recordConcurrency, topology.stores[0]?.maxBatch, topology.stores[0]?.maxInFlight], [1, 2_000, 3], 'one record at a time; the runner chunk and partitions at once');
  assert.throws(() => new StreamsBuilder('x', { recordConcurrency: 0 }), /recordConcurrency of topology "x" must be a positive integer, got 0/, 'record concurrency checked');
  const bad = new StreamsBuilder('y').stream('in', { topics: ['t'], key: serdes.string(), value: serdes.string() });
  assert.throws(() => bad.toStore('rows', { write: async () => undefined }, { maxBatch: 1.5 }), /maxBatch of store "rows" must be a positive integer/, 'maxBatch checked');
});

test('sourcesFor matches names and patterns', () => {
  const topology = example();
  assert.equal(topology.sourcesFor('raw.oura').map((s) => s.name), ['raw-webhooks'], 'pattern match');
  assert.equal(topology.sourcesFor('other').length, 0, 'no match');
  assert.equal(topology.sourceTopics.map(String), ['/^raw\\./', 'raw.extra'], 'subscription list');
});

test('builder: mistakes fail at build time with a message saying what to change', () => {
  assert.throws(() => new StreamsBuilder('Bad Name'), /lowercase/, 'topology names are checked');
  const duplicate = new StreamsBuilder('dup');
  const s = duplicate.stream('a', { topics: ['t'], key: serdes.string(), value: serdes.string() });
  assert.throws(() => s.map('a', (r) => r), /already has a node named "a"/, 'node names are unique');
  const dangling = new StreamsBuilder('dangling');
  dangling.stream('a', { topics: ['t'], key: serdes.string(), value: serdes.string() }).filter('f', () => true);
  assert.throws(() => dangling.build(), /f lead nowhere/, 'chains must end in a sink');
  assert.throws(() => new StreamsBuilder('empty').build(), /no source/, 'a topology needs a source');
  const noTopics = new StreamsBuilder('no-topics');
  assert.throws(() => noTopics.stream('a', { topics: [], key: serdes.string(), value: serdes.string() }), /at least one topic/, 'sources need topics');
  const frozen = new StreamsBuilder('frozen');
  const chain = frozen.stream('a', { topics: ['t'], key: serdes.string(), value: serdes.string() });
  chain.to('o', { topic: 'u', key: serdes.string(), value: serdes.string() });
  frozen.build();
  assert.throws(() => chain.to('o2', { topic: 'u', key: serdes.string(), value: serdes.string() }), /already built/, 'a built topology is immutable');
});

test.run();
