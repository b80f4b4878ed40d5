import { Counter, type Registry } from 'prom-client';
import { DependencyUnavailableError, RecordError, serdes, StreamsBuilder, type Topology } from '../src/streams/index.ts';
import { rawTopic, verifiedTopic } from '../src/topics.ts';
import { receivedAtOf } from '../src/vendors/kit/received-at.ts';
import { vendorIds, vendorOfTopic, vendors, type VendorId } from '../src/vendors/index.ts';
import {
  checkWebhook,
  type CheckedWebhook,
  type ConnectionDirectory,
  type ReplayGuard,
  type VerifySettings,
} from '../src/verify/index.ts';

export interface VerifyOptions {
  readonly settings: VerifySettings;
  readonly replayGuard: ReplayGuard;
  readonly connections: ConnectionDirectory;
  readonly metrics?: Registry;
  /**
   * Records of one raw partition checked at once. Raw records have no key, and no check depends
   * on another record's (a delivery id is claimed atomically, so of two copies in flight exactly
   * one goes on); outputs keep the input order, so one user's deliveries stay ordered.
   */
  readonly recordConcurrency?: number; // 1
  /** Topic names; the registry's raw/verified topics and dlq.verify unless a test isolates its own. */
  readonly topics?: VerifyTopics;
}

export interface VerifyTopics {
  readonly raw: (vendor: VendorId) => string;
  readonly verified: (vendor: VendorId) => string;
  readonly deadLetter: string;
  readonly groupId: string;
}

interface Checked {
  readonly bytes: Buffer;
  readonly webhook: CheckedWebhook;
}

/**
 * raw.<vendor> → signature, timestamp, source network, body, user (docs/design.md §3) → replay guard →
 * verified.<vendor>, keyed `<vendor>:<vendor user id>`, same bytes and headers. Failures are
 * RecordErrors with the reasons of dlq.verify; Redis or Postgres down pauses the stage.
 */
export function verifyTopology(options: VerifyOptions): Topology {
  const registers = options.metrics ? [options.metrics] : [];
  const repeated = new Counter({
    name: 'verify_repeated_deliveries_total',
    help: 'Deliveries a vendor sent again (same delivery id); counted, not forwarded',
    labelNames: ['vendor'] as const,
    registers,
  });
  const verified = new Counter({
    name: 'verify_verified_total',
    help: 'Webhooks verified and forwarded, by vendor',
    labelNames: ['vendor'] as const,
    registers,
  });
  const rawOf = options.topics?.raw ?? rawTopic;
  const verifiedOf = options.topics?.verified ?? verifiedTopic;
  const vendorOf = (topic: string) => {
    const vendor = vendorOfTopic(topic, rawOf);
    if (vendor === undefined) throw new RecordError('malformed_body', `no vendor reads ${topic}`);
    return vendor;
  };

  const builder = new StreamsBuilder('verify', {
    ...(options.topics ? { groupId: options.topics.groupId, deadLetterTopic: options.topics.deadLetter } : {}),
    ...(options.recordConcurrency && options.recordConcurrency > 1 ? { recordConcurrency: options.recordConcurrency, orderedByKey: false } : {}),
  });
  builder
    .stream('raw-webhooks', { topics: vendorIds.map(rawOf), key: serdes.bytes(), value: serdes.bytes() })
    .map('check-signature', (record) => {
      const vendor = vendorOf(record.topic);
      const bytes = record.value ?? Buffer.alloc(0);
      // Fresh when ingress received it, not when verify reads it: a backlog after an outage, or a
      // dead letter redriven once its cause is fixed, is judged as it was received. Ingress sets
      // `received-at` itself, so a vendor (or anyone) posting an old signature is still refused.
      const webhook = checkWebhook(vendor, record.headers, bytes, options.settings[vendor.id], receivedAtOf(record.headers, record.timestamp));
      return { ...record, key: webhook.key, value: { bytes, webhook } satisfies Checked };
    })
    .filter('check-connected-user', ({ value: { webhook }, timestamp }) => {
      if (!vendors[webhook.vendor].requiresConnection) return true;
      const answers = webhook.userIds.map((id) => options.connections.isConnected(webhook.vendor, id, timestamp));
      const judge = (connected: readonly boolean[]) => {
        if (connected.includes(false)) throw new RecordError('unknown_user', `a ${webhook.vendor} user in the body is not connected`);
        return true;
      };
      // The stage's directory pauses (DependencyUnavailableError) when it cannot confirm a user.
      return answers.some((answer) => answer instanceof Promise) ? Promise.all(answers).then(judge) : judge(answers as boolean[]);
    })
    .filter('drop-repeated-deliveries', async ({ value: { webhook }, topic, partition, offset }) => {
      let claim: 'first' | 'repeat';
      try {
        claim = await options.replayGuard.claim(webhook.vendor, webhook.deliveryId, `${topic}/${partition}/${offset}`, options.settings[webhook.vendor].replayTtlSeconds);
      } catch (error) {
        throw new DependencyUnavailableError('redis', 1_000, { cause: error });
      }
      if (claim === 'repeat') repeated.inc({ vendor: webhook.vendor });
      return claim === 'first';
    })
    .peek('count-verified', ({ value: { webhook } }) => void verified.inc({ vendor: webhook.vendor }))
    .mapValues('raw-bytes', (value) => value.bytes)
    .to('verified-webhooks', {
      topic: (record) => verifiedOf(vendorOf(record.topic).id),
      key: serdes.string(),
      value: serdes.bytes(),
    });
  return builder.build();
}
