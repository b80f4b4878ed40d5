import type { VendorId } from '../config/schema.ts';

/** Our user id behind a vendor's user id: what events carry once a connection maps the user. */
export interface UserIdDirectory {
  /**
   * Undefined when no connection ever mapped this vendor user. The replica (replica.ts) answers a
   * user it holds at once, and one it does not after a fresh read unless the record (produced at
   * `producedAtMs`) is older than its last read.
   */
  userIdFor(vendor: VendorId, vendorUserId: string, producedAtMs?: number): string | undefined | Promise<string | undefined>;
}
