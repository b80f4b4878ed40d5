import type { VendorId } from '../config/schema.ts';

/** An RFC 6749 error code as vendors send it; anything else a vendor put there stays out of messages. */
const plainCode = /^[A-Za-z0-9_.-]{1,64}$/;

/** The vendor's error code when it reads as one; a text that may echo what we sent (a token) does not. */
export function plainErrorCode(code: string): string {
  return plainCode.test(code) ? code : 'unreadable_error_code';
}

/**
 * The vendor refused the grant (RFC 6749 §5.2: `invalid_grant`, `invalid_client`, …). Messages carry
 * the vendor, the HTTP status and the error code only: never a token, code or secret (`code` is
 * the vendor's only when it reads as a code).
 */
export class OAuthGrantError extends Error {
  readonly vendor: VendorId;
  readonly code: string;
  readonly status: number;
  constructor(vendor: VendorId, code: string, status: number) {
    const plain = plainErrorCode(code);
    super(`${vendor} token endpoint answered ${status} ${plain}`);
    this.name = 'OAuthGrantError';
    this.vendor = vendor;
    this.code = plain;
    this.status = status;
  }
}

/** The vendor could not answer now (429, 5xx, timeout, network): try again later. */
export class VendorUnavailableError extends Error {
  readonly vendor: VendorId;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(vendor: VendorId, what: string, status?: number, retryAfterSeconds?: number, options?: ErrorOptions) {
    super(`${vendor} ${what} ${status === undefined ? 'did not answer' : `answered ${status}`}${retryAfterSeconds === undefined ? '' : `, retry after ${retryAfterSeconds} s`}`, options);
    this.name = 'VendorUnavailableError';
    this.vendor = vendor;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The vendor answered something the bridge cannot use (a missing field, not JSON). */
export class VendorAnswerError extends Error {
  readonly vendor: VendorId;
  /** The HTTP status behind it, when the vendor answered one. */
  readonly status: number | undefined;
  constructor(vendor: VendorId, message: string, status?: number) {
    super(`${vendor}: ${message}`);
    this.name = 'VendorAnswerError';
    this.vendor = vendor;
    this.status = status;
  }
}
