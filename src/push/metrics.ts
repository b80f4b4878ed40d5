import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RefusalReason } from './auth.ts';
import type { DropReason, Transport } from './hub.ts';
import type { SkipReason } from './priority-records.ts';

/** Why a connection was refused before streaming: its token, the key set being unreachable, its resume position. */
export type Refusal = RefusalReason | 'keys-unavailable' | 'bad-resume';

export interface PushMetrics {
  connected(transport: Transport, delta: 1 | -1): void;
  /** `routedAt` only for live records: a replayed one's age says nothing of the push path. */
  pushed(transport: Transport, routedAt: number | undefined): void;
  dropped(reason: DropReason): void;
  refused(transport: Transport, reason: Refusal): void;
  skipped(reason: SkipReason): void;
}

/** The push server's metrics, on the process's one registry (labels carry no user ids). */
/** One set per registry: a start that Kafka refused is tried again on the same registry, where prom-client refuses a second metric of a name. */
const created = new WeakMap<Registry, PushMetrics>();

export function createPushMetrics(registry: Registry): PushMetrics {
  let metrics = created.get(registry);
  if (metrics === undefined) {
    metrics = registeredPushMetrics(registry);
    created.set(registry, metrics);
  }
  return metrics;
}

function registeredPushMetrics(registry: Registry): PushMetrics {
  const registers = [registry];
  const connected = new Gauge({ name: 'bridge_push_connected_clients', help: 'Clients connected and authenticated, by transport', labelNames: ['transport'], registers });
  const messages = new Counter({ name: 'bridge_push_messages_total', help: 'Events written to clients, by transport', labelNames: ['transport'], registers });
  const drops = new Counter({ name: 'bridge_push_drops_total', help: 'Clients the server disconnected, by reason', labelNames: ['reason'], registers });
  const refusals = new Counter({ name: 'bridge_push_refusals_total', help: 'Connections refused before streaming (bad token, token keys unavailable, bad resume position), by transport and reason', labelNames: ['transport', 'reason'], registers });
  const skipped = new Counter({ name: 'bridge_push_records_skipped_total', help: 'Priority-topic records not pushed (no user key, not an EnrichedBiometricEvent)', labelNames: ['reason'], registers });
  const latency = new Histogram({
    name: 'bridge_push_delivery_seconds',
    help: 'Routed (record timestamp) to written to the client socket',
    labelNames: ['transport'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers,
  });
  for (const transport of ['sse', 'websocket'] as const) connected.set({ transport }, 0);
  return {
    connected: (transport, delta) => connected.inc({ transport }, delta),
    pushed: (transport, routedAt) => {
      messages.inc({ transport });
      if (routedAt !== undefined) latency.observe({ transport }, Math.max(0, Date.now() - routedAt) / 1_000);
    },
    dropped: (reason) => drops.inc({ reason }),
    refused: (transport, reason) => refusals.inc({ transport, reason }),
    skipped: (reason) => skipped.inc({ reason }),
  };
}
