/**
 * TypeScript view of schemas/biometric-event.avsc. Kept by hand next to the schema;
 * test/unit/events/events-match-schemas.test.ts fails when the two drift apart.
 * Timestamps are epoch milliseconds: the Avro serde reads timestamp-millis as plain longs.
 */

/** Symbols of the Avro `Source` enum in schema order. Append only. */
export const sources = [
  'OURA',
  'WHOOP',
  'APPLE_HEALTHKIT',
  'TERRA',
  'GOOGLE_HEALTH',
  'POLAR',
  'GARMIN',
  'WITHINGS',
  'UNKNOWN',
] as const;
export type Source = (typeof sources)[number];

/** Kinds of observation normalize writes today; the field itself is an open string. */
export const dataTypes = [
  'sleep',
  'recovery',
  'activity',
  'body',
  'daily',
  'hrv',
  'heart_rate',
  'stress',
  'nutrition',
  'menstruation',
  'other',
] as const;
export type DataType = (typeof dataTypes)[number];

/** Symbols of the Avro `Operation` enum in schema order. Append only. */
export const operations = ['UPSERT', 'DELETE'] as const;
export type Operation = (typeof operations)[number];

export interface Reading {
  /** snake_case metric name, e.g. `steps`, `hrv_sdnn`. */
  metric: string;
  value: number;
  /** e.g. `ms`, `bpm`, `count`, `s`, `kcal`, `m`, `percent`, `celsius`, `kg`. */
  unit: string;
}

export interface BiometricEvent {
  eventId: string;
  userId: string;
  source: Source;
  dataType: string;
  deviceType: string | null;
  /** Epoch ms. */
  occurredAt: number;
  /** Epoch ms. */
  receivedAt: number;
  hrvRmssdMs: number | null;
  restingHeartRateBpm: number | null;
  sleepScore: number | null;
  recoveryScore: number | null;
  readinessScore: number | null;
  temperatureDeltaC: number | null;
  stressLevel: number | null;
  readings: Reading[];
  /** `DELETE`: the vendor deleted the record with this eventId; no values travel with it. */
  op: Operation;
}

/** The optional headline measurements, in schema order. */
export const headlineFields = [
  'hrvRmssdMs',
  'restingHeartRateBpm',
  'sleepScore',
  'recoveryScore',
  'readinessScore',
  'temperatureDeltaC',
  'stressLevel',
] as const satisfies readonly (keyof BiometricEvent)[];
export type HeadlineField = (typeof headlineFields)[number];
export type Headlines = Partial<Record<HeadlineField, number>>;

/**
 * Every headline field of `from`, in schema order, `missing` where it has none: the one place the
 * fields are listed for a copy, so a new one reaches events and rows alike. Built in one order,
 * so every result shares one object shape.
 */
export function headlineValues<M extends null | undefined>(from: Readonly<Partial<Record<HeadlineField, number | null>>>, missing: M): Record<HeadlineField, number | M> {
  const values = {} as Record<HeadlineField, number | M>;
  for (const field of headlineFields) values[field] = from[field] ?? missing;
  return values;
}
