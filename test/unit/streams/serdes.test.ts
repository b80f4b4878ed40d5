import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordError, memorySchemaStore, serdes, type AvroSchemaStore } from '../../../src/streams/index.ts';

const v1 = { type: 'record' as const, name: 'Reading', namespace: 'test', fields: [{ name: 'metric', type: 'string' }] };
const v2 = {
  type: 'record' as const,
  name: 'Reading',
  namespace: 'test',
  fields: [
    { name: 'metric', type: 'string' },
    { name: 'unit', type: 'string', default: 'ms' },
  ],
};

/** The error a serde call ends with, whether it throws at once (cached path) or rejects later. */
async function rejection(call: () => unknown): Promise<unknown> {
  return Promise.resolve().then(call).then(() => undefined, (error: unknown) => error);
}

test('string, bytes and json round-trip; null stays null for string and bytes', async () => {
  assert.is(await serdes.string().deserialize(await serdes.string().serialize('héllo', 't'), 't'), 'héllo', 'utf-8 string');
  assert.is(await serdes.string().deserialize(null, 't'), null, 'null key stays null');
  const bytes = Buffer.from([0, 1, 2]);
  assert.is(await serdes.bytes().serialize(bytes, 't'), bytes, 'bytes pass through unchanged');
  const json = serdes.json<{ a: number[] }>();
  assert.equal(await json.deserialize(await json.serialize({ a: [1] }, 't'), 't'), { a: [1] }, 'json');
});

test('json: unreadable payloads are RecordErrors that do not quote the payload', async () => {
  const json = serdes.json();
  const error = await rejection(() => json.deserialize(Buffer.from('{"hrv": 12'), 't'));
  assert.instance(error, RecordError, 'a RecordError');
  assert.is((error as RecordError).reason, 'deserialization_failed', 'reason');
  assert.not.match((error as RecordError).detail, /hrv/, 'no payload text in the detail');
  assert.instance(await rejection(() => json.deserialize(null, 't')), RecordError, 'empty payload refused');
});

test('avro: Confluent wire format, schema registered once per subject', async () => {
  const memory = memorySchemaStore();
  let registrations = 0;
  const store: AvroSchemaStore = { register: (s, schema) => ((registrations += 1), memory.register(s, schema)), writerType: (id) => memory.writerType(id) };
  const avro = serdes.avro<{ metric: string }>({ store, schema: v1 });
  const a = (await avro.serialize({ metric: 'hrv' }, 'events')) as Buffer;
  await avro.serialize({ metric: 'rhr' }, 'events');
  assert.is(a[0], 0, 'magic byte 0');
  assert.is(a.readInt32BE(1), 1, 'schema id in bytes 1..4');
  assert.is(registrations, 1, 'registered once, then cached');
  assert.equal({ ...(await avro.deserialize(a, 'events')) }, { metric: 'hrv' }, 'round trip');
  assert.is(avro.name, 'avro(<topic>-value)', 'topic name strategy by default');
});

test('avro: schema resolution reads old writers into the new shape and new writers into the old', async () => {
  const store = memorySchemaStore();
  const oldSerde = serdes.avro<{ metric: string }>({ store, schema: v1 });
  const newSerde = serdes.avro<{ metric: string; unit: string }>({ store, schema: v2 });
  const oldBytes = (await oldSerde.serialize({ metric: 'hrv' }, 't')) as Buffer;
  const newBytes = (await newSerde.serialize({ metric: 'rhr', unit: 'bpm' }, 't')) as Buffer;
  assert.equal({ ...(await newSerde.deserialize(oldBytes, 't')) }, { metric: 'hrv', unit: 'ms' }, 'old writer, new reader: default filled in');
  assert.equal({ ...(await oldSerde.deserialize(newBytes, 't')) }, { metric: 'rhr' }, 'new writer, old reader: extra field dropped');
});

test('avro: bad input and bad values are RecordErrors naming paths, not values', async () => {
  const avro = serdes.avro<{ metric: string }>({ store: memorySchemaStore(), schema: v1 });
  const notWire = await rejection(() => avro.deserialize(Buffer.from('{"metric":"x"}'), 't'));
  assert.is((notWire as RecordError).reason, 'deserialization_failed', 'non-wire-format payload refused');
  const unknownId = Buffer.from([0, 0, 0, 0, 99, 1]);
  assert.is((await rejection(() => avro.deserialize(unknownId, 't')) as RecordError).reason, 'schema_unavailable', 'unknown id');
  const invalid = await rejection(() => avro.serialize({ metric: 42 } as unknown as { metric: string }, 't'));
  assert.is((invalid as RecordError).reason, 'serialization_failed', 'invalid value refused');
  assert.match((invalid as RecordError).detail, /metric/, 'the path is named');
  assert.not.match((invalid as RecordError).detail, /42/, 'the value is not');
  // avsc's writer fails on these with a TypeError of its own, not an invalid-value error.
  for (const value of [null, 'hrv', [], {}]) {
    const refused = await rejection(() => avro.serialize(value as unknown as { metric: string }, 't'));
    assert.instance(refused, RecordError, `${JSON.stringify(value)} refused as a RecordError`);
    assert.is((refused as RecordError).reason, 'serialization_failed', `${JSON.stringify(value)}: reason`);
  }
});

test('avro: each encoded record owns its bytes, however large, while the serde reuses its scratch space', async () => {
  const avro = serdes.avro<{ metric: string }>({ store: memorySchemaStore(), schema: v1 });
  const small = (await avro.serialize({ metric: 'hrv' }, 't')) as Buffer;
  const large = (await avro.serialize({ metric: 'x'.repeat(10_000) }, 't')) as Buffer;
  const after = (await avro.serialize({ metric: 'rhr' }, 't')) as Buffer;
  assert.equal({ ...(await avro.deserialize(small, 't')) }, { metric: 'hrv' }, 'an earlier record is not overwritten by later ones');
  assert.is((await avro.deserialize(large, 't')).metric.length, 10_000, 'a record larger than the scratch space round-trips');
  assert.equal({ ...(await avro.deserialize(after, 't')) }, { metric: 'rhr' }, 'after growing, records still round-trip');
  assert.is(large.readInt32BE(1), small.readInt32BE(1), 'every record carries the schema id');
});

test.run();
