import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { BiometricEvent, EnrichedBiometricEvent } from '../../src/events/index.ts';
import { bridgeSchemas, pipelineSubjects, registerSchemas, type SubjectRegistration } from '../../src/schemas/index.ts';
import { config, registry, registryClient, unique } from '../support/services.ts';

// Fresh subjects per run: the shared registry keeps every version, so tests never touch the
// pipeline's own subjects (another run's schema could make ours look incompatible).
const prefix = unique('schemas-test');
const subjects: SubjectRegistration[] = [
  { subject: `${prefix}.biometric.events-value`, schema: 'BiometricEvent' },
  { subject: `${prefix}.biometric.enriched-value`, schema: 'EnrichedBiometricEvent' },
  { subject: `${prefix}.io.biometricbridge.Trigger`, schema: 'Trigger' },
];

const event: BiometricEvent = {
  eventId: '6f1c2a8e-1b2c-5d3e-8f4a-5b6c7d8e9f00',
  userId: 'terra-user-7',
  source: 'TERRA',
  dataType: 'sleep',
  deviceType: 'OURA',
  occurredAt: 1_735_689_600_000,
  receivedAt: 1_735_718_400_000,
  hrvRmssdMs: 38.4,
  restingHeartRateBpm: 52,
  sleepScore: 71,
  recoveryScore: null,
  readinessScore: 80,
  temperatureDeltaC: -0.2,
  stressLevel: null,
  readings: [{ metric: 'sleep_efficiency', value: 91, unit: 'percent' }],
  op: 'UPSERT',
};

async function subjectCompatibility(subject: string): Promise<string> {
  const response = await fetch(`${config.SCHEMA_REGISTRY_URL}/config/${encodeURIComponent(subject)}`);
  const body = (await response.json()) as { compatibilityLevel?: string };
  return body.compatibilityLevel ?? `status ${response.status}`;
}

test('the three schemas register under their subjects with BACKWARD_TRANSITIVE', async () => {
  const ids = await registerSchemas(registryClient(), {}, subjects);
  for (const { subject } of subjects) {
    assert.type(ids.get(subject), 'number', `expected an id for ${subject}`);
    assert.is(await subjectCompatibility(subject), 'BACKWARD_TRANSITIVE', `expected ${subject} to be BACKWARD_TRANSITIVE`);
  }
});

test('re-registration is idempotent: same ids, no new version', async () => {
  const first = await registerSchemas(registryClient(), {}, subjects);
  const second = await registerSchemas(registryClient(), {}, subjects);
  assert.equal([...second], [...first], 'expected the same id per subject on a second registration');
  for (const { subject } of subjects) {
    const response = await fetch(`${config.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`);
    assert.equal(await response.json(), [1], `expected ${subject} to hold a single version`);
  }
});

test('an event and an enriched event round-trip in Confluent wire format', async () => {
  const client = registry();
  // Registered by the project's client, encoded and decoded by a third-party one: the wire format is the standard.
  const ids = await registerSchemas(registryClient(), {}, subjects);
  const eventId = ids.get(subjects[0]!.subject)!;
  const encoded = await client.encode(eventId, event);
  assert.is(encoded[0], 0, 'expected the Confluent magic byte');
  assert.is(encoded.readInt32BE(1), eventId, 'expected the schema id after the magic byte');
  // A fresh client has no cache: decoding fetches the writer schema by id from the registry.
  assert.equal(JSON.parse(JSON.stringify(await registry().decode(encoded))), event, 'expected the decoded event to equal the original');

  const enriched: EnrichedBiometricEvent = {
    event,
    triggers: [{ type: 'STRESS_INTERVENTION', severity: 'HIGH', metric: 'hrvRmssdMs', value: 38.4, recommendation: 'breathing_exercise', ruleId: null }],
    priority: 'medium',
    enrichedAt: 1_735_718_400_900,
    baselines: [{ metric: 'hrvRmssdMs', median: 55, days: 7, windowDays: 7 }],
  };
  const enrichedBytes = await client.encode(ids.get(subjects[1]!.subject)!, enriched);
  assert.equal(JSON.parse(JSON.stringify(await registry().decode(enrichedBytes))), enriched, 'expected the enriched event to round-trip');
});

test('an incompatible change is refused with the subject named', async () => {
  const subject = `${prefix}.incompatible-value`;
  const schemas = bridgeSchemas();
  await registerSchemas(registryClient(), {}, [{ subject, schema: 'Trigger' }]);
  // A new required field without a default cannot read old data: BACKWARD_TRANSITIVE refuses it.
  const broken = { ...schemas.Trigger.json, fields: [...(schemas.Trigger.json['fields'] as object[]), { name: 'mandatory', type: 'string' }] };
  const error = await registry()
    .register({ type: SchemaType.AVRO, schema: JSON.stringify(broken) }, { subject, compatibility: COMPATIBILITY.BACKWARD_TRANSITIVE })
    .then(() => null, (e: unknown) => e);
  assert.ok(error instanceof Error, 'expected the registry to refuse a field without a default');
  assert.match(error.message, /incompatible|409/i, `expected a compatibility refusal from the registry, got: ${error.message}`);
});

test('the pipeline subjects follow the topic name strategy', () => {
  const names = pipelineSubjects().map((s) => s.subject);
  for (const expected of ['biometric.events-value', 'biometric.enriched-value', 'neuros.priority.high-value', 'neuros.priority.medium-value', 'neuros.priority.normal-value']) {
    assert.ok(names.includes(expected), `expected subject ${expected}`);
  }
});

test.run();
