/**
 * How a vendor's webhook topics are named (docs/design.md §2). src/topics.ts re-exports these with
 * every other topic name; they live here so the vendor list can name its topics without importing
 * the module that lists the vendors.
 */
export function rawTopic(vendor: string): string {
  return `raw.${vendor}`;
}

export function verifiedTopic(vendor: string): string {
  return `verified.${vendor}`;
}
