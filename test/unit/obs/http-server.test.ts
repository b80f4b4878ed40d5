import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startObsServer } from '../../../src/obs/http-server.ts';
import { createLogger } from '../../../src/obs/logger.ts';
import { createMetricsRegistry } from '../../../src/obs/metrics.ts';
import { rawRequest } from '../../support/raw-request.ts';

test('a request target that is not a URL path gets 400 with the reason, not 500', async () => {
  const server = await startObsServer({ port: 0, registry: createMetricsRegistry(), version: 'test', log: createLogger({ level: 'silent' }), connections: () => ({}), ready: () => true });
  try {
    for (const target of ['//', '//[', 'http://']) {
      const answer = await rawRequest(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 400 /, `expected GET ${target} refused as a bad request`);
      assert.match(answer, 'not a valid URL path', `expected the reason for GET ${target}`);
    }
    assert.is((await fetch(`http://127.0.0.1:${server.port}/ready`)).status, 200, 'expected the server to answer on');
  } finally {
    await server.close();
  }
});

test.run();
