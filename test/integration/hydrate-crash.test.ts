// Two hydrate instances share the id-only notifications while each is SIGKILLed once mid-stream
// and restarted. What a crash may cost at-least-once is repeated fetches and repeated documents on
// hydrated.<vendor>; it may not cost a notification, and the rows the sink makes of the documents
// stay one per event. The vendor API is the local simulator answering in 100 ms, so fetches are
// in flight when the kill lands.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { createEventWriter, createPostgresBreaker, migrate, toEventRow } from '../../src/sink/index.ts';
import { hydratedVendorIds, type HydratedVendorId } from '../../src/topics.ts';
import { oura } from '../../src/vendors/oura/index.ts';
import { mapPayload } from '../../src/vendors/normalize-record.ts';
import { config, createTopics, kafkaClient, pgPool, unique } from '../support/services.ts';
import { startVendorApiSim } from '../support/vendor-sim/api-server.ts';
import { documented } from '../support/vendor-sim/documented-resources.ts';
import { follow, produce, readAll, startWorker, stopWorker, waitUntil, type Seen } from './streams-support.ts';

const worker = fileURLToPath(new URL('./hydrate-worker.ts', import.meta.url));
const total = 2_000;
const users = Array.from({ length: 40 }, (_, i) => unique(`oura-user-${i}`));
const killAt = [500, 1_100]; // distinct documents seen before each SIGKILL, one per instance

/** Which object id a hydrated Oura envelope carries (its one daily_readiness document). */
const objectIdOf = (seen: Seen): string => {
  const documents = (JSON.parse(seen.value) as { documents: { daily_readiness: Array<{ id: string }> } }).documents;
  return documents.daily_readiness[0]!.id;
};

/** Resolves once the worker printed "ready" (it joined the group with partitions); fails after 60 s. */
function readyOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a hydrate worker did not join its group within 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

test('two hydrate instances, each SIGKILLed once mid-stream: no notification lost, one row per event', async () => {
  const run = unique('hydrate-crash');
  const kafka = kafkaClient();
  const admin = kafka.admin();
  await admin.connect();
  const pool = pgPool();
  const sim = await startVendorApiSim({ latencyMs: 100, logRequests: false });
  const topicsOf = (stage: string) => Object.fromEntries(hydratedVendorIds.map((vendor) => [vendor, `${run}.${stage}.${vendor}`])) as Record<HydratedVendorId, string>;
  const topics = { verified: topicsOf('verified'), hydrated: topicsOf('hydrated'), deadLetter: `${run}.dlq`, groupId: `${run}.group`, backfill: `${run}.backfill` };
  const allTopics = [...Object.values(topics.verified), ...Object.values(topics.hydrated), topics.deadLetter, topics.backfill];
  const table = run.replace(/[^a-z0-9]/g, '_');
  const children: ChildProcess[] = [];
  let follower: Awaited<ReturnType<typeof follow>> | undefined;
  try {
    await createTopics(admin, allTopics, 6);
    const token = unique('oura-token');
    sim.grant(token);
    const ids = Array.from({ length: total }, (_, i) => `${run}-readiness-${i}`);
    ids.forEach((id, i) => {
      const day = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
      sim.serve('oura', `/v2/usercollection/daily_readiness/${id}`, { ...documented.ouraDailyReadiness, id, day, timestamp: `${day}T00:00:00+00:00` });
    });
    const env = {
      HYDRATE_TOPICS: JSON.stringify(topics),
      HYDRATE_SIM_URLS: JSON.stringify(Object.fromEntries(hydratedVendorIds.map((vendor) => [vendor, sim.baseUrl(vendor)]))),
      HYDRATE_OURA_USERS: users.join(','),
      HYDRATE_TOKEN: token,
      HYDRATE_BROKERS: config.KAFKA_BROKERS.join(','),
      HYDRATE_DELIVERY: 'at-least-once',
    };
    const start = (slot: number) => {
      const child = startWorker(worker, { ...env, HYDRATE_INSTANCE_ID: `${run}-${slot}` });
      children.push(child);
      return child;
    };
    let instances = [start(0), start(1)];
    await Promise.all(instances.map(readyOf));

    const seen: Seen[] = [];
    follower = await follow(kafka, topics.hydrated.oura, true, seen);
    const distinct = () => new Set(seen.map(objectIdOf)).size;
    await produce(
      kafka,
      topics.verified.oura,
      ids.map((id, i) => {
        const user = users[i % users.length]!;
        const body = { event_type: 'create', data_type: 'daily_readiness', object_id: id, event_time: new Date().toISOString(), user_id: user };
        return { key: `oura:${user}`, value: JSON.stringify(body), headers: { 'x-request-id': `${run}-${i}`, 'received-at': String(Date.now()) } };
      }),
    );
    for (const [n, threshold] of killAt.entries()) {
      await waitUntil(() => distinct() >= threshold, 90_000, () => `${distinct()} distinct documents, waiting for ${threshold}`);
      assert.ok(distinct() < total, `expected the kill at ${threshold} to land mid-stream, but all ${total} were done`);
      await stopWorker(instances[n]!, 'SIGKILL');
      instances = instances.map((child, i) => (i === n ? start(i) : child));
    }
    await waitUntil(() => distinct() >= total, 120_000, () => `${distinct()} of ${total} distinct documents`);
    await Promise.all(instances.map((child) => stopWorker(child, 'SIGTERM')));

    const documents = await readAll(kafka, topics.hydrated.oura, { readUncommitted: true });
    const deadLetters = await readAll(kafka, topics.deadLetter, { readUncommitted: true });
    assert.is(deadLetters.length, 0, `expected no dead letters, got ${deadLetters.map((d) => d.headers['dlq-reason']).join(', ')}`);
    assert.equal(new Set(documents.map(objectIdOf)).size, total, 'expected a document for every notification');

    // The rows the sink makes of these documents: normalize's Oura mapping, the sink's writer.
    await migrate({ pool });
    await pool.query(`CREATE TABLE ${table} (LIKE biometric_events INCLUDING ALL)`);
    const writer = createEventWriter({ pool, breaker: createPostgresBreaker(), table });
    const rows = documents.flatMap((document) =>
      mapPayload(oura, Buffer.from(document.value), 'application/json', { receivedAt: Date.now() }).events.map((event) =>
        toEventRow({ event, triggers: [], priority: 'normal', enrichedAt: Date.now(), baselines: [] }, { topic: topics.hydrated.oura, partition: document.partition, offset: document.offset, schemaId: null }),
      ),
    );
    for (let i = 0; i < rows.length; i += 500) await writer.write(rows.slice(i, i + 500));
    const { rows: counted } = await pool.query<{ n: number; users: number }>(`SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM ${table}`);
    assert.equal(counted[0], { n: total, users: users.length }, 'expected exactly one row per notification, for every user');
    console.log(`hydrate crash: ${total} notifications, ${documents.length} documents on the topic (${documents.length - total} repeated by the 2 kills), ${counted[0]!.n} rows`);
  } finally {
    await follower?.disconnect();
    await Promise.all(children.map((child) => stopWorker(child, 'SIGKILL')));
    await sim.close();
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await pool.end();
    await admin.deleteTopics({ topics: allTopics }).catch(() => undefined);
    await admin.disconnect();
  }
});

test.run();
