import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { BiometricEvent } from '../../src/events/index.ts';
import { createTerraPayloadFetcher } from '../../src/vendors/terra/payload-fetch.ts';
import { runTopology, type RunningTopology } from '../../src/streams/index.ts';
import { normalizeTopology } from '../../topologies/normalize.ts';
import { createTopics, kafkaClient, registry, schemaStore, unique, testConsumer } from '../support/services.ts';
import { waitUntil } from '../support/wait-until.ts';
import { reliableProducer } from '../../src/streams/producers.ts';

// Terra's storage is outside our system: a local HTTP server stands in for the pre-signed URLs.
const fixture = (vendor: string, name: string) => readFileSync(new URL(`../fixtures/vendors/${vendor}/${name}`, import.meta.url));
const documents = new Map<string, { status: number; body: Buffer }>([
  ['/sleep.json', { status: 200, body: fixture('terra', 'sleep.json') }],
  ['/expired.json', { status: 403, body: Buffer.from('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>') }],
]);
const requests: string[] = [];
const storage: Server = createServer((req, res) => {
  requests.push(req.url ?? '');
  const doc = documents.get(req.url ?? '') ?? { status: 404, body: Buffer.from('not found') };
  res.writeHead(doc.status, { 'content-type': 'application/json' }).end(doc.body);
});

const kafka = kafkaClient();
const verifiedTerra = unique('test.verified.terra');
const verifiedHealthkit = unique('test.verified.healthkit');
const terraTopic = unique('test.terra-biometric-events');
const output = unique('test.biometric.events');
const deadLetters = unique('test.dlq.normalize');
const client = registry();
let admin: Admin;
let producer: Producer;
let reader: Consumer;
let running: RunningTopology | undefined;
const events: { key: string; event: BiometricEvent }[] = [];
const dead: { reason: string; value: string }[] = [];
let storageUrl = '';

test.before(async () => {
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
  admin = kafka.admin();
  await admin.connect();
  await createTopics(admin, [verifiedTerra, verifiedHealthkit, terraTopic, output, deadLetters]);
  producer = reliableProducer(kafka);
  await producer.connect();
  const topology = normalizeTopology({
    schemaStore: schemaStore(),
    terraFetcher: createTerraPayloadFetcher({ maxAttempts: 2 }),
    verifiedTopics: [verifiedTerra, verifiedHealthkit],
    terraTopics: [terraTopic],
    outputTopic: output,
    deadLetterTopic: deadLetters,
    groupId: unique('test.normalize'),
  });
  running = await runTopology(topology, { kafka });
  reader = testConsumer(kafka, { groupId: unique('test.reader') });
  await reader.connect();
  await reader.subscribe({ topics: [output, deadLetters], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === output) events.push({ key: message.key?.toString() ?? '', event: (await client.decode(message.value!)) as BiometricEvent });
      else dead.push({ reason: message.headers?.['dlq-reason']?.toString() ?? '', value: message.value?.toString() ?? '' });
    },
  });
});

test.after(async () => {
  await running?.stop();
  await reader?.disconnect();
  await producer?.disconnect();
  await admin?.deleteTopics({ topics: [verifiedTerra, verifiedHealthkit, terraTopic, output, deadLetters] }).catch((error: unknown) => console.error('cleanup failed', error));
  await admin?.disconnect();
  await new Promise((resolve) => storage.close(resolve));
});

test('a verified webhook and a HealthKit batch become Avro events on the output topic', async () => {
  await producer.send({ topic: verifiedTerra, messages: [{ key: 'terra:a9f1e2d3-4c5b-4a69-8b7c-0d1e2f3a4b5c', value: fixture('terra', 'daily.json'), headers: { 'received-at': '1736942400000' } }] });
  await producer.send({ topic: verifiedHealthkit, messages: [{ key: 'healthkit:hk-user-5521', value: fixture('healthkit', 'sample-batch.json') }] });
  await waitUntil('six events (2 Terra dailies + 4 HealthKit samples)', () => events.length >= 6);
  const daily = events.find((e) => e.event.dataType === 'daily');
  assert.is(daily?.key, '5e8b7c21-0f3a-4d2e-9b1c-6a7d8e9f0a1b', 'expected the Terra user id as key');
  assert.is(daily?.event.receivedAt, 1_736_942_400_000, 'expected receivedAt from the header');
  assert.is(events.filter((e) => e.key === 'hk-user-5521').length, 4, 'expected four HealthKit events keyed by user');
});

test("an s3_payload pointer on Terra's topic is fetched from storage and mapped", async () => {
  const before = events.length;
  const pointer = { status: 'success', type: 's3_payload', url: `${storageUrl}/sleep.json`, expires_in: 600, user_id: 'a9f1e2d3-4c5b-4a69-8b7c-0d1e2f3a4b5c' };
  await producer.send({ topic: terraTopic, messages: [{ value: JSON.stringify(pointer) }] });
  const sleep = await waitUntil('the fetched sleep event', () => events.slice(before).find((e) => e.event.dataType === 'sleep'));
  assert.is(sleep.event.hrvRmssdMs, 22.7, 'expected HRV from the fetched document');
  assert.is(sleep.event.source, 'TERRA', 'expected source TERRA');
  assert.ok(requests.includes('/sleep.json'), 'expected normalize to have requested the document');
});

test('an expired URL and a missing document are dead-lettered with their reason; a non-data event is not', async () => {
  const pointer = (path: string) => JSON.stringify({ status: 'success', type: 's3_payload', url: `${storageUrl}${path}`, expires_in: 600 });
  await producer.send({
    topic: terraTopic,
    messages: [{ value: pointer('/expired.json') }, { value: JSON.stringify({ type: 'processing', user: { user_id: 'u' } }) }, { value: pointer('/gone.json') }],
  });
  await waitUntil('two dead letters', () => dead.length >= 2);
  assert.equal(dead.map((d) => d.reason), ['payload_expired', 'payload_not_found'], 'expected payload_expired then payload_not_found, nothing for processing');
  assert.match(dead[0]!.value, 'expired.json', 'expected the pointer unchanged in the dead letter');
});

test('an id-only notification is dead-lettered with needs_hydration', async () => {
  await producer.send({ topic: verifiedTerra, messages: [{ key: 'oura:c2b1f6d0', value: fixture('oura', 'notification.json') }] });
  await waitUntil('the needs_hydration dead letter', () => dead.some((d) => d.reason === 'needs_hydration'));
  assert.ok(dead.some((d) => d.reason === 'needs_hydration'), 'expected needs_hydration');
});

test.run();
