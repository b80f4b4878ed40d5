import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileSchemaCache } from '../../../src/schemas/schema-cache.ts';

test('a subject’s id file left empty or damaged (a crash mid-write) names no schema id, and an id written again reads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'schema-cache-'));
  try {
    const cache = fileSchemaCache(dir, 'http://registry.test/apis/ccompat/v7');
    await cache.rememberId('readings-value', '"string"', 7);
    assert.is(await cache.idOf('readings-value', '"string"'), 7);
    const [folder] = await readdir(dir);
    const [file] = await readdir(join(dir, folder!, 'subjects'));
    for (const damaged of ['', '7x', ' ', '-1']) {
      await writeFile(join(dir, folder!, 'subjects', file!), damaged);
      assert.is(await cache.idOf('readings-value', '"string"'), undefined, `expected no id from ${JSON.stringify(damaged)}`);
    }
    await cache.rememberId('readings-value', '"string"', 7);
    assert.is(await cache.idOf('readings-value', '"string"'), 7);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
