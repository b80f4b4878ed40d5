// Shared cases every vendor's signature scheme must pass; each *-signature.test.ts adds its own
// vectors and quirks. Not a test file itself (the runner only picks up *.test.ts).
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { SignatureCheck, SignatureScheme } from '../../../src/vendors/kit/webhook.ts';

export const now = Date.UTC(2026, 5, 1, 12, 0, 0);
export const hourMs = 3_600_000;

export interface SchemeUnderTest {
  readonly scheme: SignatureScheme;
  /** Headers as the vendor would send them for this body, secret and signing time. */
  readonly sign: (body: Buffer, secret: string, signedAtMs: number) => Record<string, string>;
  readonly signsTimestamp: boolean;
  /** False for bearer-style schemes (Google Health, Garmin) whose check does not cover the body. */
  readonly signsBody?: boolean;
}

export const body = Buffer.from('{"user_id":"u-1","event_type":"create","data_type":"sleep","object_id":"abc"}');

export function expectOk(check: SignatureCheck, what: string): void {
  assert.ok(check.ok, `${what}: expected the request to verify, got ${check.ok ? 'ok' : `${check.reason} (${check.detail})`}`);
}

export function expectReason(check: SignatureCheck, reason: string, what: string): void {
  assert.is(check.ok ? 'ok' : check.reason, reason, `${what}: expected ${reason}`);
}

export function commonCases(test: Test, subject: SchemeUnderTest): void {
  const options = { secrets: ['current-secret'], nowMs: now, toleranceMs: 2 * hourMs };
  const verify = (headers: Record<string, string>, bytes = body, opts = options) =>
    subject.scheme({ headers, body: bytes }, opts);

  test('a request signed with the configured secret verifies', () => {
    expectOk(verify(subject.sign(body, 'current-secret', now)), 'fresh, correct signature');
  });

  test('a request signed with another secret is bad_signature', () => {
    expectReason(verify(subject.sign(body, 'someone-else', now)), 'bad_signature', 'wrong secret');
  });

  test('rotation: the old secret still verifies while both are configured', () => {
    const rotating = { ...options, secrets: ['new-secret', 'current-secret'] };
    expectOk(verify(subject.sign(body, 'current-secret', now), body, rotating), 'old secret during rotation');
    expectOk(verify(subject.sign(body, 'new-secret', now), body, rotating), 'new secret during rotation');
  });

  test('no configured secret fails closed', () => {
    expectReason(verify(subject.sign(body, 'current-secret', now), body, { ...options, secrets: [] }), 'bad_signature', 'no secrets');
  });

  if (subject.signsBody !== false) test('one byte of the body changed is bad_signature', () => {
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 0x01;
    expectReason(verify(subject.sign(body, 'current-secret', now), tampered), 'bad_signature', 'tampered body');
  });

  if (subject.signsBody !== false) test('the body is verified byte for byte, not as re-serialized JSON', () => {
    const spaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expectReason(verify(subject.sign(body, 'current-secret', now), spaced), 'bad_signature', 'same JSON, other bytes');
  });

  test('header names in any case and values with surrounding whitespace verify', () => {
    const headers = Object.fromEntries(
      Object.entries(subject.sign(body, 'current-secret', now)).map(([name, value]) => [name.toUpperCase(), `  ${value} `]),
    );
    expectOk(verify(headers), 'upper-case names, padded values');
  });

  test('missing headers are bad_signature', () => {
    expectReason(verify({}), 'bad_signature', 'no headers at all');
  });

  test('a header repeated with different values is ambiguous and fails', () => {
    const signed = subject.sign(body, 'current-secret', now);
    const [first] = Object.keys(signed);
    const headers = { ...signed, [first!.toUpperCase()]: 'other-value' };
    expectReason(verify(headers), 'bad_signature', 'duplicated header, two values');
  });

  if (subject.signsTimestamp) {
    test('a timestamp older than the tolerance is stale_timestamp', () => {
      const signedAt = now - 3 * hourMs;
      expectReason(verify(subject.sign(body, 'current-secret', signedAt)), 'stale_timestamp', 'three hours old, tolerance two');
    });

    test('a retry within the tolerance (not re-signed) still verifies', () => {
      expectOk(verify(subject.sign(body, 'current-secret', now - 55 * 60_000)), 'signed 55 minutes ago');
    });

    test('a timestamp far in the future is stale_timestamp', () => {
      expectReason(verify(subject.sign(body, 'current-secret', now + hourMs)), 'stale_timestamp', 'one hour ahead');
    });

    test('a stale timestamp with a wrong signature reports bad_signature first', () => {
      expectReason(verify(subject.sign(body, 'someone-else', now - 3 * hourMs)), 'bad_signature', 'forged and stale');
    });
  }
}
