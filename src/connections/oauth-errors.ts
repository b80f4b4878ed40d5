import type { VendorId } from '../config/schema.ts';

/**
 * The vendor refused the grant (RFC 6749 §5.2: `invalid_grant`, `invalid_client`, …). Messages carry
 * the vendor, the HTTP status and the error code only: never a token, code or secret.
 */
export class OAuthGrantError extends Error {
  readonly vendor: VendorId;
  readonly code: string;
  readonly status: number;
  constructor(vendor: VendorId, code: string, status: number) {
    super(`${vendor} token endpoint answered ${status} ${code}`);
    this.name = 'OAuthGrantError';
    this.vendor = vendor;
    this.code = code;
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
