// The hydrate stage in its own process, for the crash test: reads HYDRATE_TOPICS' verified topics,
// fetches from the vendor simulator at HYDRATE_SIM_URLS with a token the simulator granted, writes
// the hydrated topics, until SIGTERM (graceful) or SIGKILL (crash). Prints "ready" on joining.
import { Kafka, logLevel } from 'kafkajs';
import { runTopology, stopOnSignals, StreamEvents, type DeliveryMode } from '../../src/streams/index.ts';
import { createLogger } from '../../src/obs/logger.ts';
import { crashWorkerRunOptions } from './streams-support.ts';
import type { HydratedVendorId } from '../../src/topics.ts';
import { hydrateTopology } from '../../topologies/hydrate.ts';
import { MemoryTokenSource } from '../support/memory-token-source.ts';
import { simHydration } from '../support/vendor-sim/sim-hydration.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

interface WorkerTopics {
  verified: Record<HydratedVendorId, string>;
  hydrated: Record<HydratedVendorId, string>;
  deadLetter: string;
  groupId: string;
  backfill: string;
}
const topics = JSON.parse(required('HYDRATE_TOPICS')) as WorkerTopics;
const baseUrls = JSON.parse(required('HYDRATE_SIM_URLS')) as Record<HydratedVendorId, string>;

const tokens = new MemoryTokenSource();
for (const user of required('HYDRATE_OURA_USERS').split(',')) tokens.connect('oura', user, required('HYDRATE_TOKEN'));

const topology = hydrateTopology({
  hydration: simHydration((vendor) => baseUrls[vendor as HydratedVendorId], tokens, { http: { initialDelayMs: 20, maxDelayMs: 200 } }),
  topics: { verified: (v) => topics.verified[v], hydrated: (v) => topics.hydrated[v], deadLetter: topics.deadLetter, groupId: topics.groupId, backfill: topics.backfill },
});
const kafka = new Kafka({ clientId: 'hydrate-worker', brokers: required('HYDRATE_BROKERS').split(','), logLevel: logLevel.NOTHING });
const log = createLogger({ level: 'warn' });
// Listening before the start: the first assignment happens while runTopology joins the group.
const events = new StreamEvents();
events.on('rebalanced', (e) => {
  if (e.assigned.length > 0) process.stdout.write('ready\n');
});
const running = await runTopology(topology, {
  kafka,
  log,
  events,
  delivery: required('HYDRATE_DELIVERY') as DeliveryMode,
  ...crashWorkerRunOptions,
  // Static membership: a restarted instance takes its partitions back at once, so the test waits
  // for no session to expire.
  ...(process.env['HYDRATE_INSTANCE_ID'] ? { groupInstanceId: process.env['HYDRATE_INSTANCE_ID'] } : {}),
});
stopOnSignals(running.stop, log);
