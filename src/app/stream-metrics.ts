import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StreamEvents } from '../streams/index.ts';

/**
 * Turns the stream runtime's lifecycle events into Prometheus metrics, labelled by topology
 * and node. Call once per registry and events pair; returns a function that unsubscribes.
 */
export function bindStreamMetrics(registry: Registry, events: StreamEvents): () => void {
  const recordsIn = new Counter({ name: 'bridge_stream_records_in_total', help: 'Records read, by source node', labelNames: ['topology', 'node'], registers: [registry] });
  const recordsOut = new Counter({ name: 'bridge_stream_records_out_total', help: 'Records written, by sink node', labelNames: ['topology', 'node'], registers: [registry] });
  const deadLettered = new Counter({
    name: 'bridge_stream_dead_letters_total',
    help: 'Records sent to the dead-letter topic, by failing node and reason',
    labelNames: ['topology', 'node', 'reason'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'bridge_stream_processing_seconds',
    help: 'Time one record spends in the graph (steps and serdes, retries included)',
    labelNames: ['topology'],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const lag = new Gauge({ name: 'bridge_stream_consumer_lag', help: 'Records behind the high watermark', labelNames: ['topology', 'topic', 'partition'], registers: [registry] });
  const transactions = new Counter({ name: 'bridge_stream_transactions_total', help: 'Kafka transactions, by outcome', labelNames: ['topology', 'outcome'], registers: [registry] });
  const commits = new Counter({ name: 'bridge_stream_commits_total', help: 'Offset commits (in or out of transactions)', labelNames: ['topology'], registers: [registry] });
  const retries = new Counter({ name: 'bridge_stream_retries_total', help: 'Record retries after transient errors, by node', labelNames: ['topology', 'node'], registers: [registry] });
  const paused = new Gauge({ name: 'bridge_stream_paused_partitions', help: 'Partitions paused for an unavailable dependency', labelNames: ['topology'], registers: [registry] });
  const restoring = new Gauge({
    name: 'bridge_state_restore_remaining_records',
    help: 'Changelog records a state store partition still has to restore (0 once restored)',
    labelNames: ['topology', 'store', 'partition'],
    registers: [registry],
  });
  const restored = new Counter({ name: 'bridge_state_restored_records_total', help: 'Changelog records restored into state stores', labelNames: ['topology', 'store'], registers: [registry] });
  const late = new Counter({ name: 'bridge_state_late_records_dropped_total', help: 'Records a window store dropped because their window had closed', labelNames: ['topology', 'store'], registers: [registry] });
  const expired = new Counter({ name: 'bridge_state_expired_keys_total', help: 'Keys a window store deleted because every window they held was past retention at its stream time', labelNames: ['topology', 'store'], registers: [registry] });
  const storageReads = new Counter({
    name: 'bridge_state_storage_reads_total',
    help: "Keys a step read from local storage because the state store's key cache did not hold them (new to the instance, or let go of past STATE_CACHE_KEYS)",
    labelNames: ['topology', 'store'],
    registers: [registry],
  });
  const pauses = new Counter({ name: 'bridge_stream_pauses_total', help: 'Partition pauses, by dependency', labelNames: ['topology', 'dependency'], registers: [registry] });

  const unsubscribe = [
    events.on('processed', (e) => {
      for (const [node, n] of Object.entries(e.recordsIn)) recordsIn.inc({ topology: e.topology, node }, n);
      for (const [node, n] of Object.entries(e.recordsOut)) recordsOut.inc({ topology: e.topology, node }, n);
      const child = latency.labels({ topology: e.topology });
      for (const ms of e.latenciesMs) child.observe(ms / 1_000);
      lag.set({ topology: e.topology, topic: e.topic, partition: String(e.partition) }, e.lag);
    }),
    events.on('dead-lettered', (e) => deadLettered.inc({ topology: e.topology, node: e.node, reason: e.reason })),
    events.on('committed', (e) => {
      commits.inc({ topology: e.topology });
      if (e.transactional) transactions.inc({ topology: e.topology, outcome: 'committed' });
    }),
    events.on('transaction-aborted', (e) => transactions.inc({ topology: e.topology, outcome: 'aborted' })),
    events.on('retried', (e) => retries.inc({ topology: e.topology, node: e.node })),
    events.on('paused', (e) => {
      paused.inc({ topology: e.topology });
      pauses.inc({ topology: e.topology, dependency: e.dependency });
    }),
    events.on('resumed', (e) => paused.dec({ topology: e.topology })),
    events.on('stopped', (e) => paused.set({ topology: e.topology }, 0)),
    events.on('restoring', (e) => restoring.set({ topology: e.topology, store: e.store, partition: String(e.partition) }, e.total - e.restored)),
    events.on('restored', (e) => {
      restoring.set({ topology: e.topology, store: e.store, partition: String(e.partition) }, 0);
      restored.inc({ topology: e.topology, store: e.store }, e.restored);
    }),
    events.on('late-dropped', (e) => late.inc({ topology: e.topology, store: e.store }, e.count)),
    events.on('state-expired', (e) => expired.inc({ topology: e.topology, store: e.store }, e.count)),
    events.on('state-storage-reads', (e) => storageReads.inc({ topology: e.topology, store: e.store }, e.count)),
  ];
  return () => unsubscribe.forEach((off) => off());
}
