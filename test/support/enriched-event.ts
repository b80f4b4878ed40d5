import { randomUUID } from 'node:crypto';
import type { BiometricEvent, EnrichedBiometricEvent } from '../../src/events/index.ts';

/** A plausible BiometricEvent with a fresh id; tests override what they care about. */
export function sampleEvent(overrides: Partial<BiometricEvent> = {}): BiometricEvent {
  const now = Date.now();
  return {
    eventId: randomUUID(),
    userId: `user-${randomUUID().slice(0, 8)}`,
    source: 'OURA',
    dataType: 'sleep',
    deviceType: null,
    occurredAt: now - 8 * 3_600_000,
    receivedAt: now,
    hrvRmssdMs: 45,
    restingHeartRateBpm: 52,
    sleepScore: 82,
    recoveryScore: null,
    readinessScore: null,
    temperatureDeltaC: 0.2,
    stressLevel: null,
    readings: [{ metric: 'steps', value: 1200, unit: 'count' }],
    op: 'UPSERT',
    ...overrides,
  };
}

export function sampleEnriched(overrides: Partial<BiometricEvent> = {}): EnrichedBiometricEvent {
  return { event: sampleEvent(overrides), triggers: [], priority: 'normal', enrichedAt: Date.now() };
}
