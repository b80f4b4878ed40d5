import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRegistryClient, RegistryError } from '../../../src/schemas/registry-client.ts';

/** A local HTTP server answering every request with 404 and `body` (undefined: an empty page). */
async function answering404(body: unknown): Promise<{ url: string; server: Server; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`, server, paths };
}

test('a 404 without the registry’s not-found code is a wrong URL, not a subject without versions', async () => {
  const { url, server } = await answering404({ detail: 'Could not find resource for full path', status: 404 });
  try {
    const client = createRegistryClient(url);
    for (const call of [() => client.versions('x-value'), () => client.compatibleWithRegistered('x-value', '"string"'), () => client.lookup('x-value', '"string"')]) {
      const error = await call().then(() => undefined, (e: unknown) => e);
      assert.instance(error, RegistryError, 'expected the call to fail, not to read as nothing registered');
      assert.is((error as RegistryError).status, 404);
    }
  } finally {
    server.close();
  }
});

test('a subject the registry says it does not hold has no versions, and any schema may be its first; compatibility is asked against every version', async () => {
  const { url, server, paths } = await answering404({ error_code: 40401, message: "Subject 'x-value' not found." });
  try {
    const client = createRegistryClient(url);
    assert.equal(await client.versions('x-value'), []);
    assert.is(await client.compatibleWithRegistered('x-value', '"string"'), true);
    assert.is(await client.lookup('x-value', '"string"'), undefined);
    assert.ok(paths.includes('POST /apis/ccompat/v7/compatibility/subjects/x-value/versions'), `expected the all-versions endpoint, got ${paths.join(', ')}`);
  } finally {
    server.close();
  }
});

test.run();
