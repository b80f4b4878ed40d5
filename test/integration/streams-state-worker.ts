// A stateful topology in its own process, for the state crash tests: counts records per key of
// STREAMS_INPUT in a state store and writes each running count to STREAMS_OUTPUT, in
// STREAMS_DELIVERY mode, with LMDB under STREAMS_STATE_DIR when set (else memory; flushed every
// STREAMS_STATE_FLUSH_MS, the default when unset); STREAMS_STORE=window counts in a window store
// folded in place instead of a key-value store. Prints "ready"
// on joining and one JSON line per restored store partition; with STREAMS_PRINT_RESTORING set,
// one JSON line per changelog batch restored too. Logs at STREAMS_LOG_LEVEL (warn) to stdout.
import { Kafka, logLevel } from 'kafkajs';
import { StreamsBuilder, lmdbBackend, memoryBackend, runTopology, serdes, stopOnSignals, type DeliveryMode } from '../../src/streams/index.ts';
import { countOne, countSerde, oneWindow } from './streams-state-counts.ts';
import { createLogger } from '../../src/obs/logger.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const builder = new StreamsBuilder(required('STREAMS_NAME'));
const stream = builder.stream('in', { topics: [required('STREAMS_INPUT')], key: serdes.string(), value: serdes.string() });
if (process.env['STREAMS_STORE'] === 'window') {
  // One window holds every record: its count is folded in place, a uint32 in the key's ring.
  const counts = builder.addWindowStore<string | null, number>({ name: 'counts', key: serdes.string(), windows: oneWindow, aggregate: countSerde });
  stream
    .mapValues('count', async (_value, record, ctx) => {
      const store = ctx.store(counts);
      await store.update(record.key, 0, countOne);
      const scan = await store.scan(record.key);
      return scan.next() ? String(scan.view.getUint32(scan.at, true)) : 'none';
    })
    .to('out', { topic: required('STREAMS_OUTPUT'), key: serdes.string(), value: serdes.string() });
} else {
  const counts = builder.addStateStore({ name: 'counts', key: serdes.string(), value: serdes.json<number>() });
  stream
    .mapValues('count', async (_value, record, ctx) => {
      const store = ctx.store(counts);
      const next = ((await store.get(record.key)) ?? 0) + 1;
      await store.put(record.key, next);
      return String(next);
    })
    .to('out', { topic: required('STREAMS_OUTPUT'), key: serdes.string(), value: serdes.string() });
}

const kafka = new Kafka({ clientId: 'streams-state-worker', brokers: required('STREAMS_BROKERS').split(','), logLevel: logLevel.NOTHING });
const log = createLogger({ level: (process.env['STREAMS_LOG_LEVEL'] as 'info' | 'warn' | undefined) ?? 'warn' });
const stateDir = process.env.STREAMS_STATE_DIR;
const running = await runTopology(builder.build(), {
  kafka,
  log,
  delivery: required('STREAMS_DELIVERY') as DeliveryMode,
  stateBackend: stateDir ? lmdbBackend(stateDir, process.env['STREAMS_STATE_FLUSH_MS'] ? { intervalMs: Number(process.env['STREAMS_STATE_FLUSH_MS']) } : {}) : memoryBackend(),
  // Offsets held back a second: a kill replays many chunks whose changes the changelog holds.
  commitIntervalMs: 1_000,
  maxBatchRecords: 50, // small chunks: a kill lands between commits, not after everything
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
  ...(process.env['STREAMS_INSTANCE_ID'] ? { groupInstanceId: process.env['STREAMS_INSTANCE_ID'] } : {}),
});
running.events.on('restored', (e) => process.stdout.write(`${JSON.stringify({ restored: e.partition, records: e.restored })}\n`));
if (process.env['STREAMS_PRINT_RESTORING']) running.events.on('restoring', (e) => process.stdout.write(`${JSON.stringify({ restoring: e.partition, entries: e.restored, of: e.total })}\n`));
running.events.on('rebalanced', (e) => {
  if (e.assigned.length > 0) process.stdout.write('ready\n');
});
stopOnSignals(running.stop, log);
