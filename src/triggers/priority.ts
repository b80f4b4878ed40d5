import type { Severity } from './rule-set.ts';

export const priorities = ['high', 'medium', 'normal'] as const;
export type Priority = (typeof priorities)[number];

/** DESIGN.md §5: any CRITICAL → high; else any HIGH → medium; else normal. */
export function priorityOf(triggers: ReadonlyArray<{ readonly severity: Severity | string }>): Priority {
  if (triggers.some((t) => t.severity === 'CRITICAL')) return 'high';
  if (triggers.some((t) => t.severity === 'HIGH')) return 'medium';
  return 'normal';
}
