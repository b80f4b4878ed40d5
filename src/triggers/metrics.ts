import { Counter, type Registry } from 'prom-client';

export interface TriggerMetrics {
  count(triggers: ReadonlyArray<{ readonly type: string; readonly severity: string }>): void;
}

/** `cognitive_mode_triggers_total{type,severity}`: the name the existing dashboards query. */
export function createTriggerMetrics(registry: Registry): TriggerMetrics {
  const name = 'cognitive_mode_triggers_total';
  const existing = registry.getSingleMetric(name);
  const counter =
    (existing as Counter<'type' | 'severity'> | undefined) ??
    new Counter({
      name,
      help: 'Cognitive-mode triggers fired by the enrich stage, by trigger type and severity.',
      labelNames: ['type', 'severity'] as const,
      registers: [registry],
    });
  return {
    count(triggers) {
      for (const t of triggers) counter.inc({ type: t.type, severity: t.severity });
    },
  };
}
