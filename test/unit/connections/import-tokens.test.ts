import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCsv, parseImport } from '../../../src/connections/import-tokens.ts';

test('CSV: quoted fields, doubled quotes, CRLF and blank lines', () => {
  assert.equal(parseCsv('a,b\r\n"x, y","say ""hi"""\n\n1,\n'), [['a', 'b'], ['x, y', 'say "hi"'], ['1', '']], 'expected RFC 4180 fields');
});

test('a CSV import becomes connections with scopes and expiry', () => {
  const csv = [
    'vendor,vendor_user_id,user_id,access_token,refresh_token,expires_at,scopes',
    'oura,OURA1,user-1,at-1,rt-1,2030-01-01T00:00:00Z,daily personal',
    'polar,123,user-2,at-2,,,',
  ].join('\n');
  const { connections, problems } = parseImport(csv, 'csv');
  assert.equal(problems, [], 'expected no problems');
  assert.is(connections.length, 2, 'expected two connections');
  assert.equal(connections[0], {
    vendor: 'oura',
    vendorUserId: 'OURA1',
    userId: 'user-1',
    scopes: ['daily', 'personal'],
    tokens: { accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: new Date('2030-01-01T00:00:00Z') },
  }, 'expected every field read');
  assert.equal(connections[1]?.tokens, { accessToken: 'at-2' }, 'expected optional refresh token and expiry left out');
});

test('a JSON import with bad records lists each problem and never a token', () => {
  const json = JSON.stringify([
    { vendor: 'whoop', vendor_user_id: 10129, user_id: 'u1', access_token: 'secret-at-1', scopes: ['offline'] },
    { vendor: 'fitbit', vendor_user_id: 'x', user_id: 'u2', access_token: 'secret-at-2' },
    { vendor: 'oura', user_id: 'u3', access_token: 'secret-at-3' },
    { vendor: 'oura', vendor_user_id: 'y', user_id: 'u4', access_token: 'secret-at-4', expires_at: 'tomorrow' },
  ]);
  const { connections, problems } = parseImport(json, 'json');
  assert.is(connections[0]?.vendorUserId, '10129', 'expected a numeric vendor user id kept as text');
  assert.equal(problems, ['record 2: unknown vendor "fitbit"', 'record 3: missing vendor_user_id', 'record 4: expires_at is not an ISO 8601 time'], 'expected one line per bad record');
  assert.not.ok(problems.join('\n').includes('secret-at'), 'expected no token in the problems');
});

test.run();
