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

test('a file that is not JSON names where it stops being JSON, never the text there', () => {
  const token = 'rt-9f8e7d6c5b4a3921';
  const malformed = [
    // A single-quoted token: V8's message quotes it and names no position.
    { text: `[{"vendor": "oura", "refresh_token": '${token}'}]`, at: 'line 1, column 38' },
    { text: `[{"vendor": "oura", "refresh_token": ${token}}]`, at: 'line 1, column 38' },
    { text: `[\n  {"vendor": "oura",\n   "refresh_token": "${token}" "user_id": "u1"}\n]`, at: 'line 3, column 43' },
    // An unterminated string: where it begins.
    { text: `[{"refresh_token": "${token}`, at: 'line 1, column 20' },
    { text: `[{"refresh_token": "${token}"}] ${token}`, at: `line 1, column ${25 + token.length}` },
  ];
  for (const { text, at } of malformed) {
    // What an operator would read, whether the import reports a problem or throws.
    let said: string;
    try {
      said = parseImport(text, 'json').problems.join('\n');
    } catch (error) {
      said = (error as Error).message;
    }
    const pieces = Array.from({ length: token.length - 5 }, (_, i) => token.slice(i, i + 6));
    assert.not.ok(pieces.some((piece) => said.includes(piece)), `expected no part of the token in “${said}”`);
    assert.is(said, `the file is not JSON (${at})`, `expected only the position for ${JSON.stringify(text)}`);
  }
});

test('a JSON file that is not an array is a problem, not a crash', () => {
  assert.equal(parseImport('{"vendor": "oura"}', 'json').problems, ['a JSON import must be an array of objects'], 'expected the shape named');
});

test.run();
