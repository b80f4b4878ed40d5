// Helpers for the ingress and verify integration tests (not a test file: no `.test.ts`).
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel, type Admin, type Consumer, type ISocketFactory, type KafkaMessage } from 'kafkajs';
import { vendorIds, type VendorId } from '../../src/config/schema.ts';
import { config, createTopics, kafkaClient, unique, testConsumer } from '../support/services.ts';
import type { IngressOptions } from '../../src/ingress/server.ts';
import { ingressTestOptions } from '../support/ingress-options.ts';

export interface IsolatedTopics {
  readonly raw: (vendor: VendorId) => string;
  readonly verified: (vendor: VendorId) => string;
  readonly deadLetter: string;
  readonly groupId: string;
  /** Deletes the topics and the group, so a developer's stack does not collect them run after run. */
  remove(): Promise<void>;
}

/** Fresh raw/verified/dlq topics for one test, so tests never see each other's records. */
export async function isolatedTopics(): Promise<IsolatedTopics> {
  const prefix = unique('it');
  const raw = (vendor: VendorId) => `${prefix}.raw.${vendor}`;
  const verified = (vendor: VendorId) => `${prefix}.verified.${vendor}`;
  const names = [...vendorIds.map(raw), ...vendorIds.map(verified), `${prefix}.dlq.verify`];
  const withAdmin = async (work: (admin: Admin) => Promise<void>) => {
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      await work(admin);
    } finally {
      await admin.disconnect();
    }
  };
  await withAdmin((admin) => createTopics(admin, names));
  return {
    raw,
    verified,
    deadLetter: `${prefix}.dlq.verify`,
    groupId: `${prefix}.verify`,
    remove: () =>
      withAdmin(async (admin) => {
        await admin.deleteTopics({ topics: names }).catch(() => undefined);
        await admin.deleteGroups([`${prefix}.verify`]).catch(() => undefined);
      }),
  };
}

/** A Kafka client whose sockets the test can cut and restore, as a network outage would. */
export function cuttableKafka(): { kafka: Kafka; cut(): void; restore(): void } {
  const open = new Set<Socket>();
  let down = false;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = connect({ host, port }, onConnect);
    if (down) process.nextTick(() => socket.destroy(new Error('network cut by the test')));
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    return socket;
  };
  const kafka = new Kafka({ clientId: unique('ingress'), brokers: [...config.KAFKA_BROKERS], logLevel: logLevel.NOTHING, socketFactory });
  return {
    kafka,
    cut() {
      down = true;
      for (const socket of open) socket.destroy(new Error('network cut by the test'));
    },
    restore() {
      down = false;
    },
  };
}

export interface Collected {
  readonly topic: string;
  readonly message: KafkaMessage;
}

/** Reads topics from the beginning into `records` until stopped. */
export async function collector(topics: readonly string[]): Promise<{ records: Collected[]; stop(): Promise<void> }> {
  const consumer: Consumer = testConsumer(kafkaClient(), { groupId: unique('collect') });
  const records: Collected[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, message }) => void records.push({ topic, message }) });
  return { records, stop: () => consumer.disconnect() };
}

/** Polls `condition` until it holds or the deadline passes; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

export const secrets = { whoop: 'whoop-it-secret', terra: 'terra-it-secret', garminClientId: 'garmin-it-key' } as const;

export function whoopRequest(body: object | Buffer, options: { secret?: string; signedAtMs?: number } = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const timestamp = String(options.signedAtMs ?? Date.now());
  const signature = createHmac('sha256', options.secret ?? secrets.whoop).update(timestamp).update(bytes).digest('base64');
  return {
    body: bytes,
    headers: { 'content-type': 'application/json', 'x-whoop-signature': signature, 'x-whoop-signature-timestamp': timestamp },
  };
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}

/** Ingress settings for tests (ingressTestOptions), raw records to the test's topics. */
export function testIngressOptions(
  topics: Omit<IsolatedTopics, 'remove'>,
  overrides: Partial<IngressOptions> & Pick<IngressOptions, 'sink'>,
): IngressOptions {
  return ingressTestOptions({ rawTopic: (vendor) => topics.raw(vendor.id), ...overrides });
}
