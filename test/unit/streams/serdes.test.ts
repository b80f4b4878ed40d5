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

/** A memory store that counts what the serde asks it. */
function countingStore() {
  const memory = memorySchemaStore();
  const asked = { register: 0, writerType: 0, idOf: 0 };
  const store: AvroSchemaStore = {
    register: (subject, schema) => ((asked.register += 1), memory.register(subject, schema)),
    writerType: (id) => ((asked.writerType += 1), memory.writerType(id)),
    idOf: (subject, schema) => ((asked.idOf += 1), memory.idOf!(subject, schema)),
  };
  return { store, asked };
}

test('avro warm: writing registers up front, so the first record encodes without waiting', async () => {
  const { store, asked } = countingStore();
  const avro = serdes.avro<{ metric: string }>({ store, schema: v1 });
  await avro.warm?.('events', 'write');
  assert.is(asked.register, 1, 'expected the subject registered by warm');
  const first = avro.serialize({ metric: 'hrv' }, 'events');
  assert.instance(first, Buffer, 'expected the first record encoded synchronously');
  assert.is(asked.register, 1, 'expected no second registration');
  await avro.warm?.('events', 'write');
  assert.is(asked.register, 1, 'expected a warm subject not asked again');
});

test('avro warm: reading learns its own schema id by look-up, so records of it decode without a fetch', async () => {
  const { store, asked } = countingStore();
  const wire = (await serdes.avro<{ metric: string }>({ store, schema: v1 }).serialize({ metric: 'hrv' }, 'events')) as Buffer;
  const reader = serdes.avro<{ metric: string }>({ store, schema: v1 });
  await reader.warm?.('events', 'read');
  assert.is(asked.idOf, 1, 'expected one look-up');
  const decoded = reader.deserialize(wire, 'events');
  assert.not.instance(decoded, Promise, 'expected the first record decoded synchronously');
  assert.equal({ ...(decoded as { metric: string }) }, { metric: 'hrv' }, 'expected the record itself');
  assert.is(asked.writerType, 0, 'expected no fetch of the writer schema');
  assert.is(asked.register, 1, 'expected reading never to register (the one registration is the writer’s)');

  const unknown = serdes.avro<{ metric: string }>({ store, schema: v2 });
  await unknown.warm?.('events', 'read');
  assert.equal({ ...(await unknown.deserialize(wire, 'events')) }, { metric: 'hrv', unit: 'ms' }, 'expected a schema not registered under the subject to warm nothing and still resolve older writers');
  assert.is(asked.writerType, 1, 'expected that reader to fetch the writer schema at its first record');
});

test.run();
