import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vendorIds } from '../../../src/config/schema.ts';
import { decodeBody } from '../../../src/vendors/body.ts';
import { authorizationDigest } from '../../../src/vendors/google-health/signature.ts';
import { vendors } from '../../../src/vendors/index.ts';

interface Fixture {
  secret: string;
  signedAtMs: number;
  headers: Record<string, string>;
  body: string;
}

const test = suite('captured signed requests (src/vendors/<vendor>/fixtures/signed-request.json)');

for (const id of vendorIds) {
  test(`${id}: the fixture verifies under its scheme and names one user`, () => {
    const fixture = JSON.parse(readFileSync(new URL(`../../../src/vendors/${id}/fixtures/signed-request.json`, import.meta.url), 'utf8')) as Fixture;
    const vendor = vendors[id];
    // As ingress records it: Google Health's Authorization becomes its digest.
    const headers: Record<string, string> = { ...fixture.headers };
    if (headers.authorization) headers['authorization-sha256'] = authorizationDigest(headers.authorization);
    const body = Buffer.from(fixture.body);
    const check = vendor.signature({ headers, body }, { secrets: [fixture.secret], nowMs: fixture.signedAtMs + 1_000, toleranceMs: 60_000 });
    assert.ok(check.ok, `${id} fixture should verify, got ${check.ok ? '' : check.reason}`);
    const format = headers['content-type']?.includes('json') ? 'json' : vendor.bodyFormat;
    assert.is(vendor.userIds(decodeBody(format, body)).length, 1, `${id} fixture carries one user id`);
    assert.ok(vendor.contentTypes.includes(headers['content-type']!), `${id} fixture content type is accepted by ingress`);
  });
}

test.run();
