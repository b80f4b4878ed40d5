/** TypeScript view of schemas/trigger.avsc (checked against it by a unit test). */

/** Symbols of the Avro `Severity` enum in schema order. Append only. */
export const severities = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof severities)[number];

export interface Trigger {
  /** e.g. `URGENT_INTERVENTION`; open string because rules are data. */
  type: string;
  severity: Severity;
  /** The BiometricEvent field the rule read, e.g. `hrvRmssdMs`. */
  metric: string;
  value: number;
  recommendation: string;
  ruleId: string | null;
}
