import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { serdes } from '../../src/streams/index.ts';
import { schemaStore, unique } from '../support/services.ts';

const v1 = { type: 'record' as const, name: 'Reading', namespace: 'bridge.test', fields: [{ name: 'metric', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'ms' }] };

test('avro on the registry: Confluent wire format, and old and new writers both read through schema resolution', async () => {
  const store = schemaStore();
  const topic = unique('avro-evolution');
  const oldSerde = serdes.avro<{ metric: string }>({ store, schema: v1 });
  const newSerde = serdes.avro<{ metric: string; unit: string }>({ store, schema: v2 });
  const oldBytes = (await oldSerde.serialize({ metric: 'hrv' }, topic)) as Buffer;
  const newBytes = (await newSerde.serialize({ metric: 'rhr', unit: 'bpm' }, topic)) as Buffer;
  assert.is(oldBytes[0], 0, 'magic byte');
  assert.ok(oldBytes.readInt32BE(1) !== newBytes.readInt32BE(1), 'v2 registered as a new version with its own id');
  assert.equal({ ...(await newSerde.deserialize(oldBytes, topic)) }, { metric: 'hrv', unit: 'ms' }, 'old writer read by the new reader');
  assert.equal({ ...(await oldSerde.deserialize(newBytes, topic)) }, { metric: 'rhr' }, 'new writer read by the old reader');
  const freshReader = serdes.avro<{ metric: string; unit: string }>({ store: schemaStore(), schema: v2 });
  assert.equal({ ...(await freshReader.deserialize(oldBytes, topic)) }, { metric: 'hrv', unit: 'ms' }, 'a reader that never wrote fetches the writer schema by id');
});

test('avro on the registry: an incompatible schema is refused as a RecordError (dead letter), not retried forever', async () => {
  const store = schemaStore();
  const topic = unique('avro-incompatible');
  await serdes.avro<{ metric: string }>({ store, schema: v1 }).serialize({ metric: 'a' }, topic);
  const breaking = { ...v1, fields: [{ name: 'metric', type: 'int' }] };
  const error = await Promise.resolve(serdes.avro<{ metric: number }>({ store, schema: breaking }).serialize({ metric: 1 }, topic)).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.is((error as { reason?: string } | undefined)?.reason, 'schema_unavailable', `registry refusal surfaces as a RecordError (got ${String(error)})`);
});

test.run();
