import type { Priority, Severity } from '../events/index.ts';

export { priorities, type Priority } from '../events/index.ts';

/** docs/design.md §5: any CRITICAL → high; else any HIGH → medium; else normal. */
export function priorityOf(triggers: ReadonlyArray<{ readonly severity: Severity | string }>): Priority {
  if (triggers.some((t) => t.severity === 'CRITICAL')) return 'high';
  if (triggers.some((t) => t.severity === 'HIGH')) return 'medium';
  return 'normal';
}
