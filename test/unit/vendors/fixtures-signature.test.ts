import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBody, formatFor } from '../../../src/vendors/kit/body.ts';
import { vendorIds, vendors } from '../../../src/vendors/index.ts';

interface Fixture {
  secret: string;
  signedAtMs: number;
  headers: Record<string, string>;
  body: string;
}

const test = suite('captured signed requests (test/fixtures/vendors/<vendor>/signed-request.json)');

for (const id of vendorIds) {
  test(`${id}: the fixture verifies under its scheme and names one user`, () => {
    const fixture = JSON.parse(readFileSync(new URL(`../../fixtures/vendors/${id}/signed-request.json`, import.meta.url), 'utf8')) as Fixture;
    const vendor = vendors[id];
    // As ingress records it: redacted headers (Google Health's Authorization) become their digest.
    const headers: Record<string, string> = { ...fixture.headers };
    for (const redaction of vendor.redactedHeaders) {
      const value = headers[redaction.header];
      if (value !== undefined) headers[redaction.as] = redaction.value(value);
    }
    const body = Buffer.from(fixture.body);
    const check = vendor.signature({ headers, body }, { secrets: [fixture.secret], nowMs: fixture.signedAtMs + 1_000, toleranceMs: 60_000 });
    assert.ok(check.ok, `${id} fixture should verify, got ${check.ok ? '' : check.reason}`);
    const format = formatFor(vendor.bodyFormats, headers['content-type']);
    assert.is(vendor.userIds(decodeBody(format, body)).length, 1, `${id} fixture carries one user id`);
    assert.ok(vendor.contentTypes.includes(headers['content-type']!), `${id} fixture content type is accepted by ingress`);
  });
}

test.run();
