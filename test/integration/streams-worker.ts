// A topology in its own process, for the crash tests: copies STREAMS_INPUT to STREAMS_OUTPUT in
// STREAMS_DELIVERY mode until SIGTERM (graceful) or SIGKILL (crash). Prints "ready" on joining.
import { Kafka, logLevel } from 'kafkajs';
import { StreamEvents, StreamsBuilder, runTopology, serdes, stopOnSignals, type DeliveryMode } from '../../src/streams/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { crashWorkerRunOptions } from './streams-support.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const builder = new StreamsBuilder(required('STREAMS_NAME'));
builder
  .stream('in', { topics: [required('STREAMS_INPUT')], key: serdes.string(), value: serdes.string() })
  .mapValues('copy', (value) => `out:${value}`)
  .to('out', { topic: required('STREAMS_OUTPUT'), key: serdes.string(), value: serdes.string() });

const kafka = new Kafka({ clientId: 'streams-worker', brokers: required('STREAMS_BROKERS').split(','), logLevel: logLevel.NOTHING });
const log = createLogger({ level: 'warn' });
// Listening before the start: the first assignment happens while runTopology joins the group.
const events = new StreamEvents();
events.on('rebalanced', (e) => {
  if (e.assigned.length > 0) process.stdout.write(`ready ${JSON.stringify(e.assigned.map((p) => p.partition).sort())}\n`);
});
const running = await runTopology(builder.build(), {
  kafka,
  log,
  events,
  delivery: required('STREAMS_DELIVERY') as DeliveryMode,
  ...crashWorkerRunOptions,
  partitionsConsumedConcurrently: 2,
  ...(process.env['STREAMS_SESSION_TIMEOUT_MS'] ? { sessionTimeoutMs: Number(process.env['STREAMS_SESSION_TIMEOUT_MS']) } : {}),
  ...(process.env['STREAMS_INSTANCE_ID'] ? { groupInstanceId: process.env['STREAMS_INSTANCE_ID'] } : {}),
});
stopOnSignals(running.stop, log);
