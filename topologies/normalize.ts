import type { Schema } from 'avsc';
import { Counter, type Registry } from 'prom-client';
import type { BiometricEvent } from '../src/events/index.ts';
import { isDeletion, normalizeDeletion, normalizeVerified } from '../src/vendors/normalize-record.ts';
import { createTerraPayloadFetcher, type TerraPayloadFetcher } from '../src/vendors/terra/payload-fetch.ts';
import { terraDestination } from '../src/vendors/terra/destination.ts';
import { receivedAtHeader } from '../src/vendors/kit/received-at.ts';
import type { MappingResult } from '../src/vendors/kit/vendor-mapping.ts';
import { bridgeSchemas } from '../src/schemas/index.ts';
import { RecordError, serdes, StreamsBuilder, type AvroSchemaStore, type Awaitable, type StreamRecord, type Topology } from '../src/streams/index.ts';
import { hydratedTopic, hydratedVendorIds, topics, verifiedTopic, type HydratedVendorId } from '../src/topics.ts';
import { plugins, vendorIds, type VendorId } from '../src/vendors/index.ts';
import type { UserIdDirectory } from '../src/connections/user-ids.ts';

export interface NormalizeOptions {
  readonly schemaStore: AvroSchemaStore;
  /** Fetches Terra's s3_payload documents; one per process so its breaker sees every failure. */
  readonly terraFetcher?: TerraPayloadFetcher;
  /** Where normalize's counters live; omitted in tests that do not look. */
  readonly metrics?: Registry;
  /** Overrides for tests: which topics to read (default: each vendor's input topic, vendorInputTopic). */
  readonly verifiedTopics?: ReadonlyArray<string | RegExp>;
  readonly terraTopics?: readonly string[];
  readonly outputTopic?: string;
  readonly groupId?: string;
  readonly deadLetterTopic?: string;
  /**
   * Our user id behind a vendor's (a connection maps it): events carry ours when one exists,
   * the vendor's otherwise (docs/design.md §4). Omitted: the vendor's id stays.
   */
  readonly userIds?: UserIdDirectory;
}

/**
 * Where normalize reads a vendor: the documents hydrate fetched for the vendors whose webhooks
 * carry only ids, the verified webhook itself for the others.
 */
export function vendorInputTopic(vendor: VendorId): string {
  return (hydratedVendorIds as readonly string[]).includes(vendor) ? hydratedTopic(vendor as HydratedVendorId) : verifiedTopic(vendor);
}

/** Which vendor wrote an event, by its Avro `source` symbol; only vendors whose user ids are not ours. */
const mappedVendorBySource: ReadonlyMap<string, VendorId> = new Map(plugins.filter((plugin) => plugin.carriesOurUserIds !== true).map((plugin) => [plugin.mapping.source, plugin.id]));

/** Headers that travel from the verified record onto each event; vendor signatures stay behind. */
const carriedHeaders = ['x-request-id', receivedAtHeader] as const;

function counter(metrics: Registry | undefined, name: string, help: string, labelNames: string[]): Counter | undefined {
  if (!metrics) return undefined;
  return (metrics.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [metrics] });
}

/**
 * verified.<vendor> and terra-biometric-events → vendor mapping → biometric.events (Avro
 * BiometricEvent keyed by user id). One input may give several events; records that carry no
 * biometrics are counted and acknowledged; everything else that cannot map is a dead letter.
 */
export function normalizeTopology(options: NormalizeOptions): Topology {
  const schema = bridgeSchemas().BiometricEvent.json as Schema;
  const fetcher = options.terraFetcher ?? createTerraPayloadFetcher();
  const acknowledged = counter(options.metrics, 'normalize_acknowledged_total', 'Records that carry no biometrics (Terra auth, Polar PING…), acknowledged without output', ['reason']);
  const produced = counter(options.metrics, 'normalize_events_total', 'BiometricEvents written, by source', ['source']);

  const toEvents = (record: StreamRecord<unknown, unknown>, result: MappingResult): StreamRecord<string, BiometricEvent>[] => {
    if (result.acknowledged !== undefined) acknowledged?.inc({ reason: result.acknowledged });
    const headers: Record<string, string> = {};
    for (const name of carriedHeaders) if (record.headers[name] !== undefined) headers[name] = record.headers[name];
    return result.events.map((event) => {
      produced?.inc({ source: event.source });
      return { ...record, key: event.userId, value: event, headers };
    });
  };
  const userIds = options.userIds;
  const withOurUserIds = (events: StreamRecord<string, BiometricEvent>[]): Awaitable<StreamRecord<string, BiometricEvent>[]> => {
    if (userIds === undefined) return events;
    let waiting = false;
    const answers = events.map((event) => {
      const vendor = mappedVendorBySource.get(event.value.source);
      const answer = vendor === undefined ? undefined : userIds.userIdFor(vendor, event.value.userId, event.timestamp);
      if (answer instanceof Promise) waiting = true;
      return answer;
    });
    const mapped = (ours: ReadonlyArray<string | undefined>) =>
      events.map((event, i) => {
        const userId = ours[i];
        return userId === undefined ? event : { ...event, key: userId, value: { ...event.value, userId } };
      });
    return waiting ? Promise.all(answers).then(mapped) : mapped(answers as Array<string | undefined>);
  };
  const sink = {
    topic: options.outputTopic ?? topics.events,
    key: serdes.string(),
    value: serdes.avro<BiometricEvent>({ store: options.schemaStore, schema }),
  };

  const builder = new StreamsBuilder('normalize', {
    ...(options.groupId ? { groupId: options.groupId } : {}),
    ...(options.deadLetterTopic ? { deadLetterTopic: options.deadLetterTopic } : {}),
  });
  builder
    .stream('verified-records', {
      topics: options.verifiedTopics ?? vendorIds.map(vendorInputTopic),
      key: serdes.string(),
      value: serdes.bytes(),
    })
    .flatMap('map-vendor-payload', (record) => withOurUserIds(toEvents(record, isDeletion(record.headers) ? normalizeDeletion(record) : normalizeVerified(record))))
    .to('biometric-events', sink);
  builder
    .stream('terra-destination', {
      topics: options.terraTopics ?? [terraDestination.topic],
      key: serdes.bytes(),
      value: serdes.bytes(),
    })
    .flatMap('fetch-and-map-terra', async (record) => withOurUserIds(toEvents(record, await terraDestination.map(fetcher, record))))
    .to('terra-biometric-events', sink);
  return builder.build();
}
