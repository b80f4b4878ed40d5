import { Registry, collectDefaultMetrics } from 'prom-client';

/** The one registry of a process, with Node's default metrics (heap, event loop lag, GC). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
