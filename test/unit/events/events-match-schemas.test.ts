import { test } from 'uvu';
import * as assert from 'uvu/assert';
import avro from 'avsc';
import {
  headlineFields,
  operations,
  priorities,
  severities,
  sources,
  type BiometricEvent,
  type EnrichedBiometricEvent,
  type Trigger,
} from '../../../src/events/index.ts';
import { bridgeSchemas, type AvroSchemaJson } from '../../../src/schemas/index.ts';

// Object literals typed by the interfaces: tsc rejects a missing or an extra field, so each
// sample lists exactly the interface's fields; the tests below compare them with the .avsc.
const event: BiometricEvent = {
  eventId: '2b0c3d43-6f1a-5c8e-9a57-1d2f3e4a5b6c',
  userId: 'user-1',
  source: 'TERRA',
  dataType: 'sleep',
  deviceType: 'GARMIN',
  occurredAt: 1_735_689_600_000,
  receivedAt: 1_735_718_400_000,
  hrvRmssdMs: 42.5,
  restingHeartRateBpm: 51,
  sleepScore: 82,
  recoveryScore: 67,
  readinessScore: 74,
  temperatureDeltaC: 0.3,
  stressLevel: 21,
  readings: [{ metric: 'hrv_sdnn', value: 61.2, unit: 'ms' }],
  op: 'UPSERT',
};
const trigger: Trigger = {
  type: 'STRESS_INTERVENTION',
  severity: 'HIGH',
  metric: 'hrvRmssdMs',
  value: 31,
  recommendation: 'breathing_exercise',
  ruleId: 'hrv-stress',
};
const enriched: EnrichedBiometricEvent = {
  event,
  triggers: [trigger],
  priority: 'medium',
  enrichedAt: 1_735_718_400_500,
  baselines: [{ metric: 'hrvRmssdMs', median: 48.5, days: 6, windowDays: 7 }],
};

const nullableInTs = {
  BiometricEvent: ['deviceType', ...headlineFields],
  Trigger: ['ruleId'],
  EnrichedBiometricEvent: [],
} as const;

const schemas = bridgeSchemas();
const cases = [
  { name: 'BiometricEvent', sample: event },
  { name: 'Trigger', sample: trigger },
  { name: 'EnrichedBiometricEvent', sample: enriched },
] as const;

const avroType = (json: AvroSchemaJson) => avro.Type.forSchema(json as avro.Schema);

/** avsc decodes into record-class instances; compare plain data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

function fieldsOf(json: AvroSchemaJson): { name: string; type: unknown; doc?: string }[] {
  return json['fields'] as { name: string; type: unknown; doc?: string }[];
}

function enumSymbols(type: avro.Type, fieldPath: string[]): string[] {
  let current: avro.Type = type;
  for (const name of fieldPath) {
    const field = (current as avro.types.RecordType).field(name);
    assert.ok(field, `expected field ${name} in ${current.name ?? 'record'}`);
    current = field.type;
    if (current.typeName === 'array') current = (current as avro.types.ArrayType).itemsType;
  }
  return (current as avro.types.EnumType).symbols;
}

for (const { name, sample } of cases) {
  test(`${name}: the TypeScript interface has exactly the schema's fields, in order`, () => {
    const schemaFields = fieldsOf(schemas[name].json).map((f) => f.name);
    assert.equal(Object.keys(sample), schemaFields, `expected ${name} interface fields to equal the .avsc fields`);
  });

  test(`${name}: nullable TypeScript fields are exactly the schema's null unions`, () => {
    const unionWithNull = fieldsOf(schemas[name].json)
      .filter((f) => Array.isArray(f.type) && f.type.includes('null'))
      .map((f) => f.name)
      .sort();
    assert.equal(unionWithNull, [...nullableInTs[name]].sort(), `expected the null unions of ${name} to match the TS nullable fields`);
  });

  test(`${name}: every field has a doc`, () => {
    const undocumented = fieldsOf(schemas[name].json).filter((f) => typeof f.doc !== 'string' || f.doc.length < 10);
    assert.equal(undocumented.map((f) => f.name), [], `expected every ${name} field to carry a doc`);
  });

  test(`${name}: a fully populated value is valid and round-trips through Avro`, () => {
    const type = schemas[name].type;
    const invalid: string[] = [];
    type.isValid(sample, { errorHook: (path) => invalid.push(path.join('.')) });
    assert.equal(invalid, [], `expected no invalid paths in the ${name} sample`);
    assert.equal(plain(type.fromBuffer(type.toBuffer(sample))), sample, `expected ${name} to decode to what was encoded`);
  });
}

test('BiometricEvent.userId says whose id it is: ours where a connection maps the vendor user (normalize, userIdFor), else the vendor’s', () => {
  const doc = fieldsOf(schemas.BiometricEvent.json).find((f) => f.name === 'userId')?.doc ?? '';
  assert.match(doc, /^Our user id when a vendor connection maps the vendor's user/, 'expected the doc to name our user id first, as normalize writes it');
  assert.match(doc, "else the vendor's user id", 'expected the vendor’s id named as the fallback without a connection');
});

test('enum symbols match the TypeScript constants', () => {
  assert.equal(enumSymbols(schemas.BiometricEvent.type, ['source']), [...sources], 'expected Source symbols in the design order');
  assert.equal(enumSymbols(schemas.BiometricEvent.type, ['op']), [...operations], 'expected Operation symbols');
  assert.equal(enumSymbols(schemas.Trigger.type, ['severity']), [...severities], 'expected Severity symbols');
  assert.equal(enumSymbols(schemas.EnrichedBiometricEvent.type, ['priority']), [...priorities], 'expected Priority symbols');
});

test('Source lists the design vendors first and defaults to its last symbol, so symbols can be appended', () => {
  const source = fieldsOf(schemas.BiometricEvent.json).find((f) => f.name === 'source')?.type as { symbols: string[]; default: string };
  assert.equal(
    source.symbols.slice(0, 8),
    ['OURA', 'WHOOP', 'APPLE_HEALTHKIT', 'TERRA', 'GOOGLE_HEALTH', 'POLAR', 'GARMIN', 'WITHINGS'],
    'expected the docs/design.md §4 order',
  );
  assert.is(source.default, 'UNKNOWN', 'expected readers to fall back to UNKNOWN for symbols they do not know');
});

test('timestamps are timestamp-millis longs', () => {
  const logical = (json: AvroSchemaJson, field: string) =>
    (fieldsOf(json).find((f) => f.name === field)?.type as { type: string; logicalType: string } | undefined) ?? null;
  for (const [json, field] of [
    [schemas.BiometricEvent.json, 'occurredAt'],
    [schemas.BiometricEvent.json, 'receivedAt'],
    [schemas.EnrichedBiometricEvent.json, 'enrichedAt'],
  ] as const) {
    assert.equal(logical(json, field), { type: 'long', logicalType: 'timestamp-millis' }, `expected ${field} to be timestamp-millis`);
  }
});

test('EnrichedBiometricEvent is self-contained: BiometricEvent and Trigger are inlined once', () => {
  const text = JSON.stringify(schemas.EnrichedBiometricEvent.json);
  assert.is(text.split('"name":"BiometricEvent"').length - 1, 1, 'expected one inline BiometricEvent definition');
  assert.is(text.split('"name":"Trigger"').length - 1, 1, 'expected one inline Trigger definition');
});

test('EnrichedBiometricEvent: a record written before baselines existed reads with none', () => {
  const { baselines: _dropped, ...older } = enriched;
  const previous = JSON.parse(JSON.stringify(schemas.EnrichedBiometricEvent.json)) as AvroSchemaJson;
  previous['fields'] = fieldsOf(previous).filter((f) => f.name !== 'baselines');
  const writer = avroType(previous);
  const resolver = schemas.EnrichedBiometricEvent.type.createResolver(writer);
  assert.equal(plain(schemas.EnrichedBiometricEvent.type.fromBuffer(writer.toBuffer(older), resolver)), { ...plain(older) as object, baselines: [] }, 'expected the default []');
});

test('a reader of the current schema reads an event written without optional fields set', () => {
  const minimal: BiometricEvent = { ...event, deviceType: null, hrvRmssdMs: null, sleepScore: null, readings: [] };
  const type = schemas.BiometricEvent.type;
  assert.equal(plain(type.fromBuffer(type.toBuffer(minimal))), minimal, 'expected nulls and an empty readings array to round-trip');
});

test.run();

test('an event written before op existed reads as UPSERT (compatible evolution, default on the field)', () => {
  const fields = fieldsOf(schemas.BiometricEvent.json).filter((f) => f.name !== 'op');
  const before = avro.Type.forSchema({ ...schemas.BiometricEvent.json, fields } as avro.Schema);
  const { op: _op, ...withoutOp } = event;
  const resolver = schemas.BiometricEvent.type.createResolver(before);
  const read = schemas.BiometricEvent.type.fromBuffer(before.toBuffer(withoutOp), resolver) as BiometricEvent;
  assert.is(read.op, 'UPSERT', 'expected the default UPSERT for an old writer');
});
