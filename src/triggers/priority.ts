import type { Severity } from './rule-set.ts';
import type { Priority } from '../topics.ts';

export { priorities, type Priority } from '../topics.ts';

/** docs/design.md §5: any CRITICAL → high; else any HIGH → medium; else normal. */
export function priorityOf(triggers: ReadonlyArray<{ readonly severity: Severity | string }>): Priority {
  if (triggers.some((t) => t.severity === 'CRITICAL')) return 'high';
  if (triggers.some((t) => t.severity === 'HIGH')) return 'medium';
  return 'normal';
}
