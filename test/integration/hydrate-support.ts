// The hydrate stage on the real Kafka and Redis with the vendor APIs simulated, for the hydrate
// integration tests (not a test file itself): its own topics, a reader of what it writes.
import type { Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { redisRateLimits, type VendorRateLimits } from '../../src/hydrate/rate-limits.ts';
import { runTopology, StreamEvents } from '../../src/streams/index.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../../src/topics.ts';
import { hydrateBackfillTopology, hydrateTopology } from '../../topologies/hydrate.ts';
import { MemoryTokenSource } from '../support/memory-token-source.ts';
import { createTopics, kafkaClient, redis as redisClient, unique, testConsumer } from '../support/services.ts';
import { startVendorApiSim, type VendorApiSim } from '../support/vendor-sim/api-server.ts';
import { simHydration } from '../support/vendor-sim/sim-hydration.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

export interface HydratedOutput {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface HydrateHarness {
  readonly verified: Record<HydratedVendorId, string>;
  readonly hydrated: Record<HydratedVendorId, string>;
  readonly deadLetters: string;
  readonly backfillRequests: string;
  readonly sim: VendorApiSim;
  readonly tokens: MemoryTokenSource;
  readonly producer: Producer;
  readonly metrics: Registry;
  /** Dependencies the stage paused for, and when it resumed (epoch ms), in order. */
  readonly paused: string[];
  readonly resumed: number[];
  readonly outputs: HydratedOutput[];
  readonly dead: { reason: string; source: string }[];
  outputsOf(vendorUserId: string): HydratedOutput[];
  stop(): Promise<void>;
}

/** Starts the stage with `limits` (per vendor) in Redis; `prepare` serves the simulator's documents. */
export async function startHydrateHarness(limits: Readonly<Record<string, VendorRateLimits>>, prepare: (sim: VendorApiSim) => void = () => undefined): Promise<HydrateHarness> {
  const kafka = kafkaClient();
  const topicsOf = (stage: string) => Object.fromEntries(hydratedVendorIds.map((vendor) => [vendor, unique(`test.${stage}.${vendor}`)])) as Record<HydratedVendorId, string>;
  const verified = topicsOf('verified');
  const hydrated = topicsOf('hydrated');
  const deadLetters = unique('test.dlq.hydrate');
  const backfillRequests = unique('test.backfill');
  const allTopics = [...Object.values(verified), ...Object.values(hydrated), deadLetters, backfillRequests];
  const sim = await startVendorApiSim();
  prepare(sim);
  const redis = redisClient();
  const admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, allTopics);
  const producer = reliableProducer(kafka);
  await producer.connect();
  const tokens = new MemoryTokenSource((token) => sim.grant(token));
  const metrics = new Registry();
  const events = new StreamEvents();
  const paused: string[] = [];
  const resumed: number[] = [];
  const outputs: HydratedOutput[] = [];
  const dead: { reason: string; source: string }[] = [];
  events.on('paused', ({ dependency }) => void paused.push(dependency));
  events.on('resumed', () => void resumed.push(Date.now()));
  // Both graphs of the stage on one Hydration, as `bridge run hydrate` runs them.
  const options = {
    hydration: simHydration(sim.baseUrl, tokens, { limits: redisRateLimits(redis, limits, { keyPrefix: unique('test:hydrate:rl') }), http: { initialDelayMs: 20, maxDelayMs: 100 } }),
    metrics,
    topics: { verified: (v: HydratedVendorId) => verified[v], hydrated: (v: HydratedVendorId) => hydrated[v], deadLetter: deadLetters, groupId: unique('test.hydrate'), backfill: backfillRequests },
  };
  const running = [await runTopology(hydrateTopology(options), { kafka, events }), await runTopology(hydrateBackfillTopology(options), { kafka, events })];
  const reader = testConsumer(kafka, { groupId: unique('test.reader') });
  await reader.connect();
  await reader.subscribe({ topics: [...Object.values(hydrated), deadLetters], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      if (topic === deadLetters) dead.push({ reason: headers['dlq-reason'] ?? '', source: headers['dlq-source'] ?? '' });
      else outputs.push({ topic, key: message.key?.toString() ?? '', value: JSON.parse(message.value?.toString() ?? 'null') as Record<string, unknown>, headers });
    },
  });
  return {
    verified, hydrated, deadLetters, backfillRequests, sim, tokens, producer, metrics, paused, resumed, outputs, dead,
    outputsOf: (vendorUserId) => outputs.filter((o) => o.key.endsWith(`:${vendorUserId}`)),
    async stop() {
      await Promise.all(running.map((r) => r.stop()));
      await reader.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: allTopics }).catch((error: unknown) => console.error('cleanup failed', error));
      await admin.disconnect();
      redis.disconnect();
      await sim.close();
    },
  };
}
