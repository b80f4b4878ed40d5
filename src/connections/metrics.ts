import { Counter, Registry } from 'prom-client';
import type { VendorId } from '../config/schema.ts';

/** What a token refresh came to; joined = another caller or process had already refreshed. */
export type RefreshOutcome = 'refreshed' | 'joined' | 'revoked' | 'unavailable' | 'refused';

/** One counter per registry, so the ingress and hydrate can share a process (`bridge run all`). */
function counter(registry: Registry, name: string, help: string): Counter<'vendor' | 'outcome'> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<'vendor' | 'outcome'>;
  return new Counter({ name, help, labelNames: ['vendor', 'outcome'], registers: [registry] });
}

/** Labels are the vendor and an outcome only: never a user, a connection or a token. */
export function createConnectionMetrics(registry: Registry = new Registry()) {
  const refreshes = counter(registry, 'bridge_connection_refreshes_total', 'Token refresh attempts of vendor connections, by vendor and outcome');
  const connects = counter(
    registry,
    'bridge_connection_connects_total',
    'Connect callbacks, by vendor and outcome (connected, declined, bad_state, vendor_error, code_invalid)',
  );
  return {
    registry,
    refresh: (vendor: VendorId, outcome: RefreshOutcome) => refreshes.inc({ vendor, outcome }),
    connect: (vendor: VendorId, outcome: 'connected' | 'declined' | 'bad_state' | 'vendor_error' | 'code_invalid') => connects.inc({ vendor, outcome }),
  };
}

export type ConnectionMetrics = ReturnType<typeof createConnectionMetrics>;
