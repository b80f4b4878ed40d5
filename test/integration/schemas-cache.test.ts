import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Schema } from 'avsc';
import { bridgeSchemas, createRegistryClient, fileSchemaCache, registrySchemaStore } from '../../src/schemas/index.ts';
import { DependencyUnavailableError } from '../../src/streams/index.ts';
import { config, unique } from '../support/services.ts';
import { freePort } from './pipeline-support.ts';

// A stage restarted while the registry is away (it keeps its schemas in Postgres) starts from
// what the process before it learned: the real registry first, then a registry that does not
// answer (nothing listens on its port) with the same cache.

const schema = bridgeSchemas().BiometricEvent.json as Schema;
const subject = `${unique('schema-cache')}-value`;
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'schema-cache-'));
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('ids and writer schemas learned from the registry serve a start while it does not answer', async () => {
  const cache = fileSchemaCache(dir, config.SCHEMA_REGISTRY_URL);
  const first = registrySchemaStore(createRegistryClient(config.SCHEMA_REGISTRY_URL), { cache });
  const id = await first.register(subject, schema);
  await first.writerType(id);

  const away = createRegistryClient(`http://127.0.0.1:${await freePort()}/apis/ccompat/v7`, { timeoutMs: 1_000 });
  const restarted = registrySchemaStore(away, { cache, retryAfterMs: 10 });
  assert.is(await restarted.register(subject, schema), id, 'expected the id this subject had, though the registry is away');
  const writer = await restarted.writerType(id);
  assert.is(writer.name, 'io.biometricbridge.BiometricEvent', 'expected the writer schema from the cache');

  const unknown = await restarted.writerType(id + 1_000_000).catch((e: unknown) => e);
  assert.instance(unknown, DependencyUnavailableError, 'expected an id never seen to pause for the registry, not fail');
  const other = await restarted.register(`${subject}-other`, schema).catch((e: unknown) => e);
  assert.instance(other, DependencyUnavailableError, 'expected a subject never registered here to wait for the registry');
});

test('another registry does not read this one’s cache, and a damaged file is asked again', async () => {
  const cache = fileSchemaCache(dir, config.SCHEMA_REGISTRY_URL);
  const first = registrySchemaStore(createRegistryClient(config.SCHEMA_REGISTRY_URL), { cache });
  const id = await first.register(subject, schema);
  await first.writerType(id);
  const elsewhere = fileSchemaCache(dir, 'http://registry.elsewhere:8081');
  assert.is(await elsewhere.schemaById(id), undefined, 'expected ids kept per registry');

  const [folder] = await readdir(dir);
  await writeFile(join(dir, folder!, 'ids', `${id}.avsc`), '{"type": "rec');
  assert.is(await cache.schemaById(id), undefined, 'expected a damaged file to count as missing');
  const again = registrySchemaStore(createRegistryClient(config.SCHEMA_REGISTRY_URL), { cache });
  assert.is((await again.writerType(id)).name, 'io.biometricbridge.BiometricEvent', 'expected the registry asked and the file written again');
  assert.ok((await cache.schemaById(id)) !== undefined, 'expected the file mended');
});

test.run();
