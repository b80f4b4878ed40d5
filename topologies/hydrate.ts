import { Counter, type Registry } from 'prom-client';
import { hydrateNotification, type Hydration } from '../src/hydrate/hydrate-notification.ts';
import { RecordError, serdes, StreamsBuilder, type StreamRecord, type Topology } from '../src/streams/index.ts';
import { dlqTopic, hydratedTopic, hydratedVendorIds, topics, verifiedTopic, type HydratedVendorId } from '../src/topics.ts';
import { backfillDocuments, readBackfillRequest } from '../src/hydrate/backfill.ts';
import { valuesWithin } from '../src/hydrate/record-size.ts';
import { receivedAtHeader } from '../src/vendors/kit/received-at.ts';
import { defaultMaxBodyBytes } from '../src/topic-limits.ts';

export interface HydrateOptions {
  readonly hydration: Hydration;
  /** Where hydrate's counters live; omitted in tests that do not look. */
  readonly metrics?: Registry;
  /** Topic names; the registry's verified/hydrated topics and dlq.hydrate unless a test isolates its own. */
  readonly topics?: HydrateTopics;
  /** Notifications of one partition hydrated at once (HYDRATE_RECORD_CONCURRENCY); one user's in order. */
  readonly recordConcurrency?: number;
  /** Backfill requests of one partition fetched at once (HYDRATE_BACKFILL_CONCURRENCY). */
  readonly backfillConcurrency?: number;
  /**
   * The largest value a hydrated record carries, in bytes: INGRESS_MAX_BODY_BYTES, which the
   * hydrated topics' max.message.bytes hold with room for headers (src/topic-limits.ts). Larger
   * values are split where the vendor's hydrator can, else dead-lettered as `record_too_large`.
   */
  readonly maxValueBytes?: number;
}

export interface HydrateTopics {
  readonly verified: (vendor: HydratedVendorId) => string;
  readonly hydrated: (vendor: HydratedVendorId) => string;
  readonly deadLetter: string;
  /** The live notifications' group; backfill requests are read by `<groupId>-backfill`. */
  readonly groupId: string;
  /** Where backfill requests arrive. */
  readonly backfill: string;
}

/** Headers that travel from the notification onto its documents; vendor signatures stay behind. */
const carriedHeaders = ['x-request-id', receivedAtHeader, 'content-type'] as const;
/** What hydrate writes for a fetched document, whatever the notification's own body was (Withings: a form). */
const documentContentType = 'application/json';

/**
 * verified.<vendor> of the id-only vendors → the vendor's API with the user's token →
 * hydrated.<vendor>, keyed like the input (`<vendor>:<vendor user id>`), so one user's documents
 * stay in order. A deletion becomes a record with header `op: delete`; a resource the vendor no
 * longer has is counted and acknowledged; a body that already carries its data goes on unchanged.
 * A value larger than `maxValueBytes` goes in several records where its vendor can split it
 * (Google Health's data points), else the notification is the dead letter `record_too_large`:
 * one record the topic cannot hold would be refused by the broker on every try.
 */
export function hydrateTopology(options: HydrateOptions): Topology {
  // One counter per registry, however many times the graph is built (describe, then run).
  const outcomes =
    (options.metrics?.getSingleMetric('hydrate_notifications_total') as Counter<'vendor' | 'outcome'> | undefined) ??
    new Counter({
      name: 'hydrate_notifications_total',
      help: 'Notifications hydrated, by vendor and outcome (document, deleted, gone, carries-data, unmapped)',
      labelNames: ['vendor', 'outcome'] as const,
      registers: options.metrics ? [options.metrics] : [],
    });
  const verifiedOf = options.topics?.verified ?? verifiedTopic;
  const hydratedOf = options.topics?.hydrated ?? hydratedTopic;
  const vendorByTopic = new Map(hydratedVendorIds.map((id) => [verifiedOf(id), id]));
  const vendorOf = (topic: string): HydratedVendorId => {
    const vendor = vendorByTopic.get(topic);
    if (vendor === undefined) throw new RecordError('unknown_vendor', `no id-only vendor reads ${topic}`);
    return vendor;
  };
  const carried = (headers: Readonly<Record<string, string>>): Record<string, string> => {
    const kept: Record<string, string> = {};
    for (const name of carriedHeaders) if (headers[name] !== undefined) kept[name] = headers[name];
    return kept;
  };
  const maxValueBytes = options.maxValueBytes ?? defaultMaxBodyBytes;

  // Many fetches in flight per partition; records of one key (one vendor user) stay in order.
  const builder = new StreamsBuilder('hydrate', {
    recordConcurrency: options.recordConcurrency ?? 32,
    ...(options.topics ? { groupId: options.topics.groupId, deadLetterTopic: options.topics.deadLetter } : {}),
  });
  builder
    .stream('verified-notifications', { topics: hydratedVendorIds.map(verifiedOf), key: serdes.string(), value: serdes.bytes() })
    .flatMap('fetch-documents', async (record): Promise<StreamRecord<string | null, Buffer>[]> => {
      const vendor = vendorOf(record.topic);
      const outputs: StreamRecord<string | null, Buffer>[] = [];
      for (const hydrated of await hydrateNotification(options.hydration, vendor, record.value)) {
        outcomes.inc({ vendor, outcome: hydrated.kind });
        if (hydrated.kind === 'gone' || hydrated.kind === 'unmapped') continue;
        if (hydrated.kind === 'carries-data') {
          outputs.push({ ...record, value: record.value ?? Buffer.alloc(0), headers: carried(record.headers) });
          continue;
        }
        const documentHeaders = { ...carried(record.headers), 'content-type': documentContentType };
        const headers = hydrated.kind === 'deleted' ? { ...documentHeaders, op: 'delete' } : documentHeaders;
        const split = hydrated.kind === 'document' ? options.hydration.hydrators[vendor].split : undefined;
        // Keyed by the document's user: the notification's key, except for pings naming several users.
        for (const value of valuesWithin(vendor, hydrated.value, maxValueBytes, split)) outputs.push({ ...record, key: `${vendor}:${hydrated.vendorUserId}`, value, headers });
      }
      return outputs;
    })
    .to('hydrated-documents', {
      topic: (record) => hydratedOf(vendorOf(record.topic)),
      key: serdes.string(),
      value: serdes.bytes(),
    });
  return builder.build();
}

/**
 * hydrate.backfill → the vendor's collection endpoints, page by page, with the user's token →
 * hydrated.<vendor>, in the shape live hydration writes, so normalize maps a user's history alike.
 * Lower priority than live notifications, by construction rather than by luck:
 *   - its own consumer group (`bridge.hydrate-backfill`), so a backfill never holds a partition
 *     worker of the live topology, whose lag it therefore cannot grow;
 *   - few requests at once (`backfillConcurrency`, 2 per partition): a request is a week of pages;
 *   - the `backfill` lane of the rate limits, a share of each vendor app window (Redis, every
 *     instance), so live notifications keep the rest of the budget.
 * It runs in the hydrate process beside `hydrateTopology`, on the same Hydration (one breaker and
 * one set of rate counters per vendor), and dead-letters into dlq.hydrate.
 */
export function hydrateBackfillTopology(options: HydrateOptions): Topology {
  const backfilled =
    (options.metrics?.getSingleMetric('hydrate_backfilled_documents_total') as Counter<'vendor'> | undefined) ??
    new Counter({
      name: 'hydrate_backfilled_documents_total',
      help: 'Documents of users\' history written by backfills, by vendor',
      labelNames: ['vendor'] as const,
      registers: options.metrics ? [options.metrics] : [],
    });
  const hydratedOf = options.topics?.hydrated ?? hydratedTopic;
  const maxValueBytes = options.maxValueBytes ?? defaultMaxBodyBytes;
  const builder = new StreamsBuilder('hydrate-backfill', {
    recordConcurrency: options.backfillConcurrency ?? 2,
    groupId: options.topics ? `${options.topics.groupId}-backfill` : 'bridge.hydrate-backfill',
    deadLetterTopic: options.topics?.deadLetter ?? dlqTopic('hydrate'),
  });
  builder
    .stream('backfill-requests', { topics: [options.topics?.backfill ?? topics.backfill], key: serdes.string(), value: serdes.bytes() })
    .flatMap('fetch-backfill-window', async (record): Promise<StreamRecord<string | null, Buffer>[]> => {
      const request = readBackfillRequest(record.value);
      const documents = await backfillDocuments(options.hydration, request);
      const headers = { 'content-type': documentContentType, [receivedAtHeader]: String(Date.now()), backfill: `${request.startDate}/${request.endDate}` };
      const split = options.hydration.hydrators[request.vendor].split;
      const outputs = documents.flatMap((document) =>
        valuesWithin(request.vendor, document, maxValueBytes, split).map((value) => ({ ...record, key: `${request.vendor}:${request.vendorUserId}`, value, headers })),
      );
      backfilled.inc({ vendor: request.vendor }, documents.length);
      return outputs;
    })
    .to('backfilled-documents', {
      // The key is `<vendor>:<vendor user id>`, the vendor one of hydratedVendorIds (readBackfillRequest).
      topic: (record) => hydratedOf(record.key!.slice(0, record.key!.indexOf(':')) as HydratedVendorId),
      key: serdes.string(),
      value: serdes.bytes(),
    });
  return builder.build();
}
