import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/obs/logger.ts';
import { lmdbBackend, serdes, StreamEvents, StreamsBuilder } from '../../src/streams/index.ts';
import { kafkaChangelogReader } from '../../src/streams/state/changelog-reader.ts';
import { ensureChangelogTopics } from '../../src/streams/state/changelog-topics.ts';
import { markerHeader, markerKey } from '../../src/streams/state/chunk-state.ts';
import { StateStores } from '../../src/streams/state/state-stores.ts';
import { logLines } from '../support/log-lines.ts';
import { createTopics, kafkaClient, unique } from '../support/services.ts';

test('a chunk whose changelog lacks its marker (stopped between its requests) is not restored; run again, it is', async () => {
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const name = unique('changelog-marked');
  const input = `${name}.in`;
  const builder = new StreamsBuilder(name);
  builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.string() });
  builder.stream('in', { topics: [input], key: serdes.string(), value: serdes.string() }).to('out', { topic: `${name}.out`, key: serdes.string(), value: serdes.string() });
  const topology = builder.build();
  const changelog = topology.stateStores[0]!.changelogTopic;
  const dir = await mkdtemp(join(tmpdir(), 'marked-'));
  /** The stores of a new process on the same local storage: restored from the changelog. */
  const restart = async () => {
    const { lines, destination } = logLines();
    const stores = new StateStores({ topology: name, groupId: topology.groupId, specs: topology.stateStores, backend: lmdbBackend(dir), changelog: kafkaChangelogReader(kafka, name), events: new StreamEvents(), log: createLogger({ level: 'info' }, destination) });
    await stores.assign([0]);
    const storage = (await stores.ready(0)).get('counts')!.storage;
    const values = Object.fromEntries(['a', 'b', 'c'].map((k) => [k, storage.get(Buffer.from(k))?.toString()]));
    const covered = await stores.covered(0, input);
    await stores.close();
    return { values, covered, lines };
  };
  // A chunk's changelog as a stage writes it: its entries, then its input-offset marker.
  const chunk = (values: Record<string, string>, nextOffset?: number) => [
    ...Object.entries(values).map(([key, value]) => ({ key, value, partition: 0 })),
    ...(nextOffset === undefined ? [] : [{ key: markerKey(input), value: String(nextOffset), partition: 0, headers: { [markerHeader]: 'input-offset' } }]),
  ];
  try {
    await createTopics(admin, [input]);
    await ensureChangelogTopics(admin, topology.stateStores, topology.sourceTopics);
    await producer.send({ topic: changelog, acks: -1, messages: chunk({ a: '1' }, 5) });
    // The next chunk's first request, acknowledged; the instance stopped before the one with its marker.
    await producer.send({ topic: changelog, acks: -1, messages: chunk({ a: '2', b: '2' }) });
    const stopped = await restart();
    assert.equal(stopped.values, { a: '1', b: undefined, c: undefined }, 'expected the state as of the last marker: the stopped chunk runs again from its input');
    assert.is(stopped.covered, 5n, 'expected the input covered up to the last marker');
    assert.ok(
      stopped.lines.some((line) => line.includes('its entries are left out') && line.includes('"entries":2')),
      'expected a warning naming how many entries were left out',
    );
    // The chunk run again writes all of its changelog, marker last.
    await producer.send({ topic: changelog, acks: -1, messages: chunk({ a: '2', b: '2', c: '2' }, 9) });
    const rerun = await restart();
    assert.equal(rerun.values, { a: '2', b: '2', c: '2' }, 'expected the chunk run again restored whole');
    assert.is(rerun.covered, 9n);
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [input, changelog] }).catch(() => undefined);
    await admin.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
