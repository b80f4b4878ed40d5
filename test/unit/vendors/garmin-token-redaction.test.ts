import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rawMessage } from '../../../src/ingress/raw-record.ts';
import { vendors } from '../../../src/vendors/index.ts';
import { redactGarminTokens, tokenDigest } from '../../../src/vendors/garmin/token-redaction.ts';
import { fixture, mapValid } from './mapping-fixtures.ts';

const tokensOf = (body: Buffer) => [...body.toString('utf8').matchAll(/"userAccessToken"\s*:\s*"([^"]*)"/g)].map((m) => m[1]!);

test('every userAccessToken of a push or a ping is recorded as its digest, and the body maps to the same events', () => {
  for (const name of ['dailies-push.json', 'sleeps-push.json', 'hrv-push.json', 'ping.json']) {
    const body = fixture('garmin', name);
    const tokens = tokensOf(body);
    assert.ok(tokens.length > 0, `${name} carries tokens`);
    const recorded = redactGarminTokens(body);
    for (const token of tokens) assert.not.ok(recorded.includes(token), `${name}: no token in the recorded body`);
    assert.equal(tokensOf(recorded), tokens.map(tokenDigest), `${name}: each token's digest in its place`);
    assert.equal(JSON.parse(recorded.toString()), JSON.parse(body.toString().replace(/"userAccessToken"\s*:\s*"([^"]*)"/g, (_m, t: string) => `"userAccessToken":"${tokenDigest(t)}"`)), `${name}: nothing else changed`);
    if (name !== 'ping.json') assert.equal(mapValid(vendors.garmin, recorded).events, mapValid(vendors.garmin, body).events, `${name}: the same events`);
  }
});

test('a body without a token is the same buffer; a malformed one still loses its token; escapes are part of the token', () => {
  const plain = Buffer.from('{"dailies":[{"userId":"u1"}]}');
  assert.is(redactGarminTokens(plain), plain);
  const malformed = Buffer.from('{"dailies":[{"userAccessToken": "secret-1", "userId": ');
  assert.not.ok(redactGarminTokens(malformed).includes('secret-1'), 'a body verify will refuse holds no token either');
  const escaped = Buffer.from('{"userAccessToken":"se\\"cret"}');
  assert.is(redactGarminTokens(escaped).toString(), `{"userAccessToken":"${tokenDigest('se\\"cret')}"}`);
});

test('ingress records Garmin bodies redacted and every other vendor byte for byte', () => {
  const request = (body: Buffer) => ({ requestId: 'r1', receivedAtMs: 1, sourceAddress: undefined, headers: { 'content-type': 'application/json' }, body });
  const garminBody = fixture('garmin', 'dailies-push.json');
  const recorded = rawMessage(vendors.garmin, request(garminBody)).value as Buffer;
  for (const token of tokensOf(garminBody)) assert.not.ok(recorded.includes(token));
  const ouraBody = Buffer.from('{"event_type":"create","userAccessToken":"not-garmin"}');
  assert.is(rawMessage(vendors.oura, request(ouraBody)).value, ouraBody);
});

test.run();
