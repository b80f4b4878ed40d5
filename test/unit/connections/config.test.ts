import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';
import { connectRoutesFromConfig } from '../../../src/connections/index.ts';
import { createLogger } from '../../../src/obs/logger.ts';

test('TOKEN_ENCRYPTION_KEYS reads hex and base64 keys, newest first', () => {
  const hex = randomBytes(32);
  const b64 = randomBytes(32);
  const config = loadConfig({ TOKEN_ENCRYPTION_KEYS: `${hex.toString('hex')},${b64.toString('base64')}` });
  assert.equal(config.TOKEN_ENCRYPTION_KEYS.map((k) => k.toString('hex')), [hex.toString('hex'), b64.toString('hex')], 'expected both keys decoded in order');
});

test('a bad key is named by position and never echoed', () => {
  const short = randomBytes(16).toString('hex');
  try {
    loadConfig({ TOKEN_ENCRYPTION_KEYS: `${randomBytes(32).toString('hex')},${short}` });
    assert.unreachable('expected a ConfigError');
  } catch (error) {
    assert.instance(error, ConfigError, 'expected a ConfigError');
    assert.match((error as Error).message, 'TOKEN_ENCRYPTION_KEYS.1: key 2 must be 32 bytes', 'expected the variable and key position named');
    assert.not.match((error as Error).message, short, 'expected the key value not echoed');
  }
});

test('CONNECT_LINK_SECRET must be long, and is not echoed', () => {
  try {
    loadConfig({ CONNECT_LINK_SECRET: 'short-secret' });
    assert.unreachable('expected a ConfigError');
  } catch (error) {
    assert.match((error as Error).message, 'CONNECT_LINK_SECRET: must be at least 32 characters', 'expected the rule named');
    assert.not.match((error as Error).message, 'short-secret', 'expected the secret not echoed');
  }
});

test('vendor base overrides must be URLs; unset means the real hosts', () => {
  assert.is(loadConfig({}).OURA_AUTH_BASE_URL, undefined, 'expected no override by default');
  assert.throws(() => loadConfig({ WHOOP_API_BASE_URL: 'not a url' }), /WHOOP_API_BASE_URL: must be a URL/, 'expected a bad override named');
});

test('the /connect routes exist only with CONNECT_LINK_SECRET, and then need PUBLIC_BASE_URL and keys', async () => {
  const logger = createLogger({ level: 'silent' });
  assert.is(connectRoutesFromConfig(loadConfig({}), logger), undefined, 'expected no routes without CONNECT_LINK_SECRET');
  const secret = randomBytes(32).toString('hex');
  assert.throws(() => connectRoutesFromConfig(loadConfig({ CONNECT_LINK_SECRET: secret, TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('hex') }), logger), /PUBLIC_BASE_URL: required/, 'expected PUBLIC_BASE_URL asked for');
  assert.throws(() => connectRoutesFromConfig(loadConfig({ CONNECT_LINK_SECRET: secret, PUBLIC_BASE_URL: 'https://bridge.example.com' }), logger), /TOKEN_ENCRYPTION_KEYS: required/, 'expected keys asked for');
  const service = connectRoutesFromConfig(loadConfig({ CONNECT_LINK_SECRET: secret, PUBLIC_BASE_URL: 'https://bridge.example.com', TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('hex') }), logger);
  assert.type(service?.routes, 'function', 'expected the routes when everything is set');
  await service?.close();
});

test.run();
