import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { config, registry, unique } from '../support/services.ts';
import { checkSchema } from '../../src/operators/index.ts';
import { bridgeSchemas, createRegistryClient } from '../../src/schemas/index.ts';
import { sampleEnriched, sampleEvent } from '../support/enriched-event.ts';
import { bridge } from './operators-cli.ts';

const client = createRegistryClient(config.SCHEMA_REGISTRY_URL);
const dir = mkdtempSync(join(tmpdir(), 'schemas-'));

const fields = {
  userId: { name: 'userId', type: 'string' },
  hrv: { name: 'hrvRmssdMs', type: 'double' },
  note: { name: 'note', type: 'string', default: 'none' },
};
const schema = (...list: object[]) => JSON.stringify({ type: 'record', name: 'Reading', namespace: 'test.ops', fields: list });
const v1 = schema(fields.userId, fields.hrv);
const v2 = schema(fields.userId, fields.hrv, fields.note);

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Decodes Confluent wire format with a reader schema, fetching the writer schema by its id. */
async function decodeWith(reader: string, payload: Buffer): Promise<Record<string, unknown>> {
  assert.is(payload[0], 0, 'expected the Confluent magic byte');
  const id = payload.readInt32BE(1);
  const response = await fetch(`${config.SCHEMA_REGISTRY_URL}/schemas/ids/${id}`);
  const writer = avro.Type.forSchema(JSON.parse(((await response.json()) as { schema: string }).schema) as avro.Schema);
  const readerType = avro.Type.forSchema(JSON.parse(reader) as avro.Schema);
  // avsc returns an instance of its generated record class; spread it into a plain object to compare.
  return { ...(readerType.fromBuffer(payload.subarray(5), readerType.createResolver(writer)) as Record<string, unknown>) };
}

test('v1 registered and used; v2 with a defaulted field accepted; each reads the other', async () => {
  const subject = `${unique('ops-schemas')}-value`;
  const id1 = await client.register(subject, v1);
  const encodedV1 = await registry().encode(id1, { userId: 'u1', hrvRmssdMs: 42.5 });

  const check = await bridge('schemas', 'check', '--file', file('v2.avsc', v2), '--subject', subject);
  assert.is(check.code, 0, `expected exit 0: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, 'compatible with version 1 under BACKWARD_TRANSITIVE', 'expected v2 reported compatible');

  const reg = await bridge('schemas', 'register', '--file', file('v2.avsc', v2), '--subject', subject);
  assert.is(reg.code, 0, `expected exit 0: ${reg.stdout}${reg.stderr}`);
  const id2 = Number(/id (\d+)/.exec(reg.stdout)?.[1]);
  assert.ok(id2 > 0 && id2 !== id1, `expected a new schema id for v2, got ${reg.stdout}`);
  const after = await bridge('schemas', 'check', '--file', file('v2.avsc', v2), '--subject', subject);
  assert.match(after.stdout, 'registered (version 2)', 'expected v2 reported registered');

  const encodedV2 = await registry().encode(id2, { userId: 'u2', hrvRmssdMs: 30, note: 'rested' });
  assert.equal(await decodeWith(v2, encodedV1), { userId: 'u1', hrvRmssdMs: 42.5, note: 'none' }, 'expected a v2 reader to fill the default into v1 data');
  assert.equal(await decodeWith(v1, encodedV2), { userId: 'u2', hrvRmssdMs: 30 }, 'expected a v1 reader to skip the new field');
});

test('a type change is refused with the rule and version named, exit 65', async () => {
  const subject = `${unique('ops-schemas')}-value`;
  await client.register(subject, v1);
  const changed = schema(fields.userId, { name: 'hrvRmssdMs', type: 'string' });
  const run = await bridge('schemas', 'check', '--file', file('type-change.avsc', changed), '--subject', subject);
  assert.is(run.code, 65, `expected exit 65, got ${run.code}`);
  assert.match(run.stdout, 'INCOMPATIBLE with version 1 under BACKWARD_TRANSITIVE', 'expected the verdict');
  assert.match(run.stdout, 'cannot read data written with version 1', 'expected the broken rule explained');
  assert.match(run.stderr, '1 schema(s) incompatible', 'expected a summary refusal');

  const reg = await bridge('schemas', 'register', '--file', file('type-change.avsc', changed), '--subject', subject);
  assert.is(reg.code, 65, `expected register refused with exit 65, got ${reg.code}`);
  assert.match(reg.stderr, 'nothing registered', 'expected nothing registered');
  assert.equal(await client.versions(subject), [1], 'expected only v1 in the registry');
});

test('adding a field without a default (removing one, seen from old data) is refused', async () => {
  const subject = `${unique('ops-schemas')}-value`;
  await client.register(subject, v2);
  const withoutDefault = schema(fields.userId, fields.hrv, { name: 'mood', type: 'string' });
  const result = await checkSchema(client, { subject, schema: withoutDefault });
  assert.is(result.status, 'incompatible', 'expected a new field without default refused under BACKWARD');
  assert.match(result.problems.join('\n'), 'mood', 'expected the offending field named');

  // The same rule seen from the other side: v2 data still holds `note`; dropping `note` and
  // later re-adding it without a default must break the transitive chain.
  const v3 = schema(fields.userId, fields.hrv);
  assert.is((await checkSchema(client, { subject, schema: v3 })).status, 'compatible', 'expected dropping a defaulted field accepted');
  await client.register(subject, v3);
  const v4 = schema(fields.userId, fields.hrv, { name: 'note', type: 'int' });
  const broken = await checkSchema(client, { subject, schema: v4 });
  assert.is(broken.status, 'incompatible', 'expected a removed field re-added without default refused');
  assert.ok(broken.problems.length > 0, 'expected the broken rule explained');
});

test('schemas check of the project schemas answers per pipeline subject', async () => {
  const run = await bridge('schemas', 'check');
  assert.ok(run.code === 0 || run.code === 65, `expected 0 or 65, got ${run.code}: ${run.stderr}`);
  assert.match(run.stdout, 'biometric.events-value', 'expected the events subject reported');
  assert.match(run.stdout, 'neuros.priority.high-value', 'expected the priority subjects reported');
});

test('deletions (BiometricEvent.op) are a compatible evolution of the events written before them', async () => {
  // Fully expanded JSON, so the enriched schema carries the nested event as the registry stores it.
  const withoutOp = (json: unknown): unknown => {
    if (Array.isArray(json)) return json.map(withoutOp);
    if (json === null || typeof json !== 'object') return json;
    const object = json as Record<string, unknown>;
    const copy = Object.fromEntries(Object.entries(object).map(([key, value]) => [key, withoutOp(value)]));
    if (/(^|\.)BiometricEvent$/.test(String(object['name'])) && Array.isArray(object['fields'])) {
      copy['fields'] = (copy['fields'] as Array<{ name: string }>).filter((field) => field.name !== 'op');
    }
    return copy;
  };
  const schemas = bridgeSchemas();
  for (const name of ['BiometricEvent', 'EnrichedBiometricEvent'] as const) {
    const current = schemas[name].type.schema({ exportAttrs: true });
    const before = JSON.stringify(withoutOp(current));
    assert.not.match(before, 'Operation', `expected the ${name} of before deletions to lack op`);
    const subject = `${unique('ops-op')}-value`;
    const id1 = await client.register(subject, before);
    const encodedBefore = await registry().encode(id1, name === 'BiometricEvent' ? sampleEvent() : sampleEnriched());

    const check = await bridge('schemas', 'check', '--file', file(`${name}.avsc`, JSON.stringify(current)), '--subject', subject);
    assert.is(check.code, 0, `expected ${name} with op compatible: ${check.stdout}${check.stderr}`);
    assert.match(check.stdout, 'compatible with version 1 under BACKWARD_TRANSITIVE', `expected ${name} reported compatible with the version before op`);
    const reg = await bridge('schemas', 'register', '--file', file(`${name}.avsc`, JSON.stringify(current)), '--subject', subject);
    assert.is(reg.code, 0, `expected ${name} with op registered: ${reg.stdout}${reg.stderr}`);

    const read = (await decodeWith(JSON.stringify(current), encodedBefore)) as { op?: string; event?: { op: string } };
    assert.is(read.op ?? read.event?.op, 'UPSERT', `expected ${name} data from before op to read as UPSERT`);
  }
  // The same field without its default would strand every event written before it.
  const broken = JSON.parse(JSON.stringify(schemas.BiometricEvent.json)) as { fields: Array<Record<string, unknown>> };
  delete broken.fields.find((field) => field['name'] === 'op')!['default'];
  const subject = `${unique('ops-op')}-value`;
  await client.register(subject, JSON.stringify(withoutOp(schemas.BiometricEvent.json)));
  const refused = await bridge('schemas', 'check', '--file', file('op-without-default.avsc', JSON.stringify(broken)), '--subject', subject);
  assert.is(refused.code, 65, `expected op without a default refused, got ${refused.code}: ${refused.stdout}`);
});

test.run();
