// A record runs synchronously through its graph until a serde or step answers with a promise;
// from there on it runs asynchronously. Either way the outputs keep their order, every branch and
// fan-out is reached once, thenables are awaited as `await` would, and a failure is tagged with
// the step that raised it, whether it threw or rejected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as delay } from 'node:timers/promises';
import { RecordError, StreamsBuilder, serdes } from '../../../src/streams/index.ts';
import { dlqHeaders } from '../../../src/streams/dead-letter.ts';
import { TopologyTestDriver } from '../../../src/streams/testing/index.ts';

interface In {
  n: number;
  parts: number;
}

/** Odd records' steps answer with promises (a real one, or a bare thenable), even ones synchronously. */
function mixed() {
  const builder = new StreamsBuilder('mixed');
  const branches = builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.json<In>() })
    .flatMap('split', (record) => {
      const parts = Array.from({ length: record.value.parts }, (_, part) => ({ ...record, value: { ...record.value, part } }));
      return record.value.n % 2 === 1 ? delay(1).then(() => parts) : parts;
    })
    .mapValues('label', (value) => {
      const labelled = { ...value, label: `${value.n}.${value.part}` };
      // A thenable that is not a Promise: awaited, as `await` would.
      const thenable = { then: (resolve: (v: typeof labelled) => void) => setTimeout(() => resolve(labelled), 1) };
      return value.n % 4 === 1 ? (thenable as unknown as Promise<typeof labelled>) : labelled;
    })
    .filter('drop-part-2', (record) => (record.value.n % 2 === 1 ? Promise.resolve(record.value.part !== 2) : record.value.part !== 2))
    .peek('check', (record) => {
      if (record.value.n === 6) throw new RecordError('bad_six', 'six is refused synchronously');
      if (record.value.n === 7) return Promise.reject(new RecordError('bad_seven', 'seven is refused asynchronously'));
      return undefined;
    })
    .branch('by-part', { first: (record) => (record.value.n % 2 === 1 ? delay(1).then(() => record.value.part === 0) : record.value.part === 0), rest: () => true });
  const out = serdes.json<In & { part: number; label: string }>();
  branches.first.to('first-out', { topic: 'first', key: serdes.string(), value: out });
  branches.rest.to('rest-out', { topic: 'rest', key: serdes.string(), value: out });
  return builder.build();
}

test('sync and async records: outputs in input order, each branch once, thenables awaited, failures tagged with their step', async () => {
  const driver = new TopologyTestDriver(mixed());
  const input = driver.inputTopic('in', serdes.string(), serdes.json<In>());
  for (let n = 0; n < 8; n += 1) await input.queue({ key: `k${n}`, value: { n, parts: 4 } });
  await driver.flush();

  const labels = async (topic: string) => (await driver.outputTopic(topic, serdes.string(), serdes.json<{ label: string }>()).readRecords()).map((r) => r.value.label);
  assert.equal(await labels('first'), ['0.0', '1.0', '2.0', '3.0', '4.0', '5.0'], 'part 0 of every record but the refused ones, in input order');
  assert.equal(
    await labels('rest'),
    ['0.1', '0.3', '1.1', '1.3', '2.1', '2.3', '3.1', '3.3', '4.1', '4.3', '5.1', '5.3'],
    'parts 1 and 3 (part 2 filtered), in input order, sync and async alike',
  );
  const dead = driver.deadLetters().map((d) => [d.reason, d.headers[dlqHeaders.node]]);
  assert.equal(dead, [
    ['bad_six', 'check'],
    ['bad_seven', 'check'],
  ]);
  assert.is(driver.committedOffset('in'), '8');
});

test('a synchronous record writes its outputs without waiting for a turn of the event loop', async () => {
  const builder = new StreamsBuilder('sync');
  builder
    .stream('in', { topics: ['in'], key: serdes.string(), value: serdes.string() })
    .mapValues('upper', (value) => (value ?? '').toUpperCase())
    .to('out', { topic: 'out', key: serdes.string(), value: serdes.string() });
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.inputTopic('in', serdes.string(), serdes.string());
  await input.queue({ key: 'a', value: 'x' });
  await input.queue({ key: 'b', value: 'y' });
  await driver.flush();
  const out = await driver.outputTopic('out', serdes.string(), serdes.string()).readRecords();
  assert.equal(out.map((r) => r.value), ['X', 'Y']);
});

test.run();
