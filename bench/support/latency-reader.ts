// bench:latency's reader of the routed events, on its own thread: on the load generator's event
// loop an arrival was stamped only once that loop had handled the HTTP answers queued before it,
// which put the generator's own delays into the measured latency.
import { parentPort, workerData } from 'node:worker_threads';
import { Kafka, logLevel } from 'kafkajs';

export interface LatencyReaderData {
  readonly brokers: readonly string[];
  readonly groupId: string;
  /** Topics in route order; the last entries are the priority topics (all one hop). */
  readonly topics: readonly string[];
  /** Index of each topic's hop in the route. */
  readonly hops: readonly number[];
  /** Events are named `<prefix>-<7 digits>` in their key or, for keyless raw records, their body. */
  readonly prefix: string;
}

/** A batch of arrivals: hop, event index and time (ms since the epoch, sub-ms) per arrival. */
export type Arrivals = { readonly kind: 'arrivals'; readonly hop: number; readonly at: number; readonly events: number[] };
export type ReaderMessage = { readonly kind: 'joined' } | Arrivals;

/** The same clock on every thread of the process, with sub-millisecond resolution. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

if (parentPort !== null && workerData !== undefined) {
  const port = parentPort;
  const data = workerData as LatencyReaderData;
  const hopOf = new Map(data.topics.map((topic, i) => [topic, data.hops[i]!]));
  const eventIndex = new RegExp(`${data.prefix}-(\\d{7})`);
  const kafka = new Kafka({ clientId: `bench-latency-reader`, brokers: [...data.brokers], logLevel: logLevel.NOTHING });
  const reader = kafka.consumer({ groupId: data.groupId, maxWaitTimeInMs: 50 });
  await reader.connect();
  await reader.subscribe({ topics: [...data.topics], fromBeginning: false });
  reader.on(reader.events.GROUP_JOIN, () => port.postMessage({ kind: 'joined' } satisfies ReaderMessage));
  port.on('message', (message: unknown) => {
    if (message === 'stop') void reader.disconnect().then(() => port.close());
  });
  await reader.run({
    partitionsConsumedConcurrently: 30,
    eachBatch: async ({ batch }) => {
      const at = nowMs();
      const events: number[] = [];
      for (const message of batch.messages) {
        const found = eventIndex.exec((message.key ?? message.value)?.toString('latin1') ?? '');
        if (found) events.push(Number(found[1]));
      }
      if (events.length > 0) port.postMessage({ kind: 'arrivals', hop: hopOf.get(batch.topic)!, at, events } satisfies ReaderMessage);
    },
  });
}
