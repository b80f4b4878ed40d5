/**
 * The users connected to a vendor (table `vendor_connections`, src/connections/migrations); the
 * process's replica of the table (src/connections/replica.ts) answers from memory.
 */
export interface ConnectionDirectory {
  /** `producedAtMs`: the record's Kafka timestamp (src/connections/replica.ts says why). */
  isConnected(vendor: string, vendorUserId: string, producedAtMs?: number): boolean | Promise<boolean>;
}

export function memoryConnectionDirectory(connected: Iterable<[vendor: string, vendorUserId: string]>): ConnectionDirectory {
  const set = new Set([...connected].map(([vendor, id]) => `${vendor}\u0000${id}`));
  return { isConnected: (vendor, id) => set.has(`${vendor}\u0000${id}`) };
}
