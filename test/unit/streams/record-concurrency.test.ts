import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { DependencyUnavailableError, StreamsBuilder, serdes } from '../../../src/streams/index.ts';
import { TopologyTestDriver } from '../../../src/streams/testing/index.ts';

interface Lookup {
  key: string;
  n: number;
}

/** A hydrate-like stage: each record waits on a slow lookup; the trace says what ran when. */
function lookupTopology(recordConcurrency: number | undefined, unavailableOnce = new Set<number>(), orderedByKey = true) {
  const trace = { active: 0, maxActive: 0, events: [] as string[] };
  const builder = new StreamsBuilder('lookup', { ...(recordConcurrency === undefined ? {} : { recordConcurrency }), ...(orderedByKey ? {} : { orderedByKey }) });
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<Lookup>() })
    .mapValues('fetch', async (value) => {
      trace.active += 1;
      trace.maxActive = Math.max(trace.maxActive, trace.active);
      trace.events.push(`start ${value.n}`);
      try {
        // The first record of key a is the slowest: without per-key order the later ones overtake it.
        await delay(value.n === 0 ? 40 : value.n % 2 === 0 ? 15 : 5);
        if (unavailableOnce.delete(value.n)) throw new DependencyUnavailableError('vendor-api', 1_000);
        return { ...value, fetched: true };
      } finally {
        trace.active -= 1;
        trace.events.push(`end ${value.n}`);
      }
    })
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.json<Lookup & { fetched: boolean }>() });
  return { topology: builder.build(), trace };
}

const keys = ['a', 'b', 'c', 'a', 'b', 'd', 'a', 'e', 'f', 'a', 'g', 'h'];

async function queueAll(driver: TopologyTestDriver): Promise<void> {
  const input = driver.inputTopic('in', serdes.string(), serdes.json<Lookup>());
  for (const [n, key] of keys.entries()) await input.queue({ key, value: { key, n } });
}

function assertKeyOrder(events: readonly string[]): void {
  for (const key of new Set(keys)) {
    const ns = keys.flatMap((k, n) => (k === key ? [n] : []));
    for (const [i, n] of ns.entries()) {
      const previous = ns[i - 1];
      if (previous === undefined) continue;
      assert.ok(events.indexOf(`end ${previous}`) < events.indexOf(`start ${n}`), `expected record ${n} of key ${key} to start only after record ${previous} of the same key ended: ${events.join(', ')}`);
    }
  }
}

test('recordConcurrency: different keys run at once up to the limit, one key in order, outputs in input order', async () => {
  const { topology, trace } = lookupTopology(4);
  const driver = new TopologyTestDriver(topology);
  await queueAll(driver);
  assert.equal(await driver.flush(), { written: keys.length }, 'expected every record written');
  assert.is(trace.maxActive, 4, 'expected four records in flight at the most, and that many reached');
  assertKeyOrder(trace.events);
  const out = await driver.outputTopic('out', serdes.string(), serdes.json<Lookup>()).readRecords();
  assert.equal(out.map((r) => r.value.n), keys.map((_, n) => n), 'expected outputs in input order');
  assert.is(driver.committedOffset('in'), String(keys.length), 'expected the chunk committed after its last record');
});

test('orderedByKey false: records of one key run at once too, outputs still in input order', async () => {
  const { topology, trace } = lookupTopology(4, new Set(), false);
  assert.match(topology.describe().toString(), /4 records at once per partition in any order/);
  const driver = new TopologyTestDriver(topology);
  await queueAll(driver);
  assert.equal(await driver.flush(), { written: keys.length }, 'expected every record written');
  assert.is(trace.maxActive, 4, 'expected four records in flight at the most');
  // Record 0 of key a takes longest; record 3 of the same key starts before it ends.
  assert.ok(trace.events.indexOf('start 3') < trace.events.indexOf('end 0'), `expected record 3 to start while record 0 of its key ran: ${trace.events.join(', ')}`);
  const out = await driver.outputTopic('out', serdes.string(), serdes.json<Lookup>()).readRecords();
  assert.equal(out.map((r) => r.value.n), keys.map((_, n) => n), 'expected outputs in input order');
});

test('recordConcurrency: by default one record after another', async () => {
  const { topology, trace } = lookupTopology(undefined);
  const driver = new TopologyTestDriver(topology);
  await queueAll(driver);
  await driver.flush();
  assert.is(trace.maxActive, 1, 'expected one record in flight at a time');
  assert.equal(
    trace.events,
    keys.flatMap((_, n) => [`start ${n}`, `end ${n}`]),
    'expected each record to end before the next starts',
  );
});

test('recordConcurrency: an unavailable dependency commits only the records before it; the rest are read again in order', async () => {
  const { topology, trace } = lookupTopology(4, new Set([5]));
  const driver = new TopologyTestDriver(topology);
  const commits: string[] = [];
  driver.events.on('committed', (e) => commits.push(e.offset));
  await queueAll(driver);
  const error = await driver.flush().then(() => undefined, (e: unknown) => e);
  assert.instance(error, DependencyUnavailableError, 'expected the partition to pause');
  assert.is(driver.committedOffset('in'), '5', 'expected the commit to cover records 0..4 only');
  assert.is(driver.pendingCount(), keys.length - 5, 'expected record 5 and everything after it to be read again');
  const first = await driver.outputTopic('out', serdes.string(), serdes.json<Lookup>()).readRecords();
  assert.equal(first.map((r) => r.value.n), [0, 1, 2, 3, 4], 'expected only the outputs of the committed records');
  assert.equal(driver.deadLetters(), [], 'expected no dead letter for an outage');

  trace.events.length = 0;
  assert.equal(await driver.flush(), { written: keys.length - 5 }, 'expected the rest written once the dependency is back');
  const rest = await driver.outputTopic('out', serdes.string(), serdes.json<Lookup>()).readRecords();
  assert.equal(rest.map((r) => r.value.n), [5, 6, 7, 8, 9, 10, 11], 'expected the re-read records once each, in input order');
  assert.is(driver.committedOffset('in'), String(keys.length), 'expected everything committed in the end');
  assert.equal(commits, ['5', String(keys.length)], 'expected one commit per successful chunk');
});

test.run();
