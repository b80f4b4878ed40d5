import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RegistryError, registrySchemaStore, type RegistryClient } from '../../../src/schemas/index.ts';
import { DependencyUnavailableError, RecordError, serdes } from '../../../src/streams/index.ts';

const v1 = { type: 'record' as const, name: 'Reading', namespace: 'test', fields: [{ name: 'metric', type: 'string' }] };

/** A registry in memory behind the RegistryClient interface; `fail` decides which calls fail and how. */
function memoryRegistry(fail: (call: string) => RegistryError | undefined = () => undefined) {
  const calls: string[] = [];
  const subjects = new Map<string, { id: number; schema: string }[]>();
  const byId = new Map<number, string>();
  const levels = new Map<string, string>();
  const attempt = (call: string) => {
    calls.push(call);
    const error = fail(call);
    if (error) throw error;
  };
  const client: RegistryClient = {
    url: 'memory:',
    async versions(subject) {
      attempt('versions');
      return (subjects.get(subject) ?? []).map((_, i) => i + 1);
    },
    async version(subject, version) {
      attempt('version');
      const found = subjects.get(subject)?.[version - 1];
      if (!found) throw new RegistryError('no such version', 404);
      return { version, ...found };
    },
    async lookup(subject, schema) {
      attempt('lookup');
      const list = subjects.get(subject) ?? [];
      const index = list.findIndex((v) => v.schema === schema);
      return index < 0 ? undefined : { version: index + 1, ...list[index]! };
    },
    async compatibleWithRegistered() {
      attempt('compatibleWithRegistered');
      return true;
    },
    async register(subject, schema) {
      attempt('register');
      const list = subjects.get(subject) ?? [];
      const id = byId.size + 1;
      byId.set(id, schema);
      subjects.set(subject, [...list, { id, schema }]);
      return id;
    },
    async compatibilityLevel(subject) {
      attempt('compatibilityLevel');
      return levels.get(subject) ?? 'BACKWARD';
    },
    async setCompatibilityLevel(subject, level) {
      attempt('setCompatibilityLevel');
      levels.set(subject, level);
    },
    async schemaById(id) {
      attempt('schemaById');
      const schema = byId.get(id);
      if (schema === undefined) throw new RegistryError(`schema id ${id} not found`, 404);
      return schema;
    },
    async ping() {
      attempt('ping');
      return true;
    },
  };
  return { client, calls, levels };
}

async function rejection(call: () => unknown): Promise<unknown> {
  return Promise.resolve().then(call).then(() => undefined, (error: unknown) => error);
}

test('a schema already registered is only looked up: a read-only registry is enough to write', async () => {
  let readOnly = false;
  const { client, calls } = memoryRegistry((call) => (readOnly && (call === 'register' || call === 'setCompatibilityLevel') ? new RegistryError('HTTP 500', 500) : undefined));
  const id = await client.register('readings-value', JSON.stringify(v1));
  readOnly = true;
  calls.length = 0;
  const store = registrySchemaStore(client);
  assert.is(await store.register('readings-value', v1), id, 'expected the registered id from the look-up');
  const wire = await serdes.avro<{ metric: string }>({ store, schema: v1 }).serialize({ metric: 'hrv' }, 'readings');
  assert.is(wire?.readInt32BE(1), id, 'expected records framed with the looked-up id');
  assert.equal(calls, ['lookup'], 'expected one look-up and no write');
});

test('a missing schema gets the subject level BACKWARD_TRANSITIVE first, then is registered once', async () => {
  const { client, calls, levels } = memoryRegistry();
  const store = registrySchemaStore(client);
  const first = await store.register('readings-value', v1);
  const again = await store.register('readings-value', v1);
  assert.is(again, first, 'expected the same id on a second call');
  assert.is(levels.get('readings-value'), 'BACKWARD_TRANSITIVE', 'expected the level set on the new subject');
  assert.equal(calls, ['lookup', 'setCompatibilityLevel', 'register'], 'expected level before registration, and no second round trip');
});

test('an unreachable or failing registry means pause; an unknown id or a refused schema means dead letter', async () => {
  const down = registrySchemaStore(memoryRegistry(() => new RegistryError('no answer (ECONNREFUSED)', 0)).client);
  const avroDown = serdes.avro({ store: down, schema: v1 });
  const wire = Buffer.from([0, 0, 0, 0, 7, 2, 0x61]);
  assert.instance(await rejection(() => avroDown.deserialize(wire, 't')), DependencyUnavailableError, 'network failure → DependencyUnavailableError');
  assert.instance(await rejection(() => avroDown.serialize({ metric: 'x' }, 't')), DependencyUnavailableError, 'registration failure → DependencyUnavailableError');
  const failing = registrySchemaStore(memoryRegistry(() => new RegistryError('HTTP 500', 500)).client);
  assert.instance(await rejection(() => failing.register('t-value', v1)), DependencyUnavailableError, '5xx → DependencyUnavailableError');

  const missing = registrySchemaStore(memoryRegistry().client);
  const error = await rejection(() => serdes.avro({ store: missing, schema: v1 }).deserialize(wire, 't'));
  assert.instance(error, RecordError, '404 → RecordError');
  assert.is((error as RecordError).reason, 'schema_unavailable', '404 → schema_unavailable');
  const refused = registrySchemaStore(memoryRegistry((call) => (call === 'register' ? new RegistryError('incompatible', 409) : undefined)).client);
  const refusal = await rejection(() => refused.register('t-value', v1));
  assert.instance(refusal, RecordError, '409 → RecordError');
  assert.match((refusal as RecordError).detail, /409/, 'expected the status named in the detail');
});

test('a failed look-up is asked again, not cached', async () => {
  let down = true;
  const { client } = memoryRegistry((call) => (down && call === 'lookup' ? new RegistryError('no answer', 0) : undefined));
  const store = registrySchemaStore(client);
  assert.instance(await rejection(() => store.register('t-value', v1)), DependencyUnavailableError, 'expected a pause while down');
  down = false;
  assert.type(await store.register('t-value', v1), 'number', 'expected an id once the registry answers');
});

test('idOf is a look-up, never a registration; a registry away is a pause', async () => {
  const { client, calls } = memoryRegistry();
  const id = await client.register('readings-value', JSON.stringify(v1));
  calls.length = 0;
  const store = registrySchemaStore(client);
  assert.is(await store.idOf?.('readings-value', v1), id, 'expected the registered id');
  assert.is(await store.idOf?.('other-value', v1), undefined, 'expected nothing under a subject without the schema');
  assert.equal(calls, ['lookup', 'lookup'], 'expected reads only');
  const down = registrySchemaStore(memoryRegistry(() => new RegistryError('no answer (ECONNREFUSED)', 0)).client);
  assert.instance(await rejection(() => down.idOf?.('readings-value', v1)), DependencyUnavailableError, 'expected a pause while the registry is away');
});

test.run();
