import type { EventRow } from './event-rows.ts';

/**
 * One row per eventId, in the order each eventId first appears. The writer's `ON CONFLICT DO
 * UPDATE` may touch a row only once per statement, so the versions of one event inside a chunk
 * are settled here by the rule the table applies between chunks (docs/design.md §8):
 * - values come from the upsert received last (`receivedAt`); of equal ones the first stays, as a
 *   version no newer than the stored row leaves it alone;
 * - an upsert after the event's first deletion in the chunk is left out, as the table refuses it
 *   once the row is deleted; the row is marked deleted with that deletion's time;
 * - an event the chunk only deletes keeps its first deletion's row (a tombstone if it is new).
 * One difference stays: the deletion runs before the upsert (the writer's retraction), so a row
 * stored before the chunk that the chunk both updates and deletes keeps its values from before
 * the chunk, marked deleted.
 * A chunk without a repeated eventId, the common one, is returned as it is.
 */
export function latestVersions(rows: readonly EventRow[]): readonly EventRow[] {
  if (!hasRepeatedEvent(rows)) return rows;
  const upserts = new Map<string, EventRow>();
  const deletions = new Map<string, EventRow>();
  const order: string[] = [];
  for (const row of rows) {
    if (!upserts.has(row.eventId) && !deletions.has(row.eventId)) order.push(row.eventId);
    if (row.deletedAt !== null) {
      if (!deletions.has(row.eventId)) deletions.set(row.eventId, row);
      continue;
    }
    if (deletions.has(row.eventId)) continue;
    const latest = upserts.get(row.eventId);
    if (latest === undefined || row.receivedAt > latest.receivedAt) upserts.set(row.eventId, row);
  }
  return order.map((eventId) => {
    const upsert = upserts.get(eventId);
    const deletion = deletions.get(eventId);
    if (upsert === undefined) return deletion!;
    return deletion === undefined ? upsert : { ...upsert, deletedAt: deletion.deletedAt };
  });
}

function hasRepeatedEvent(rows: readonly EventRow[]): boolean {
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.eventId)) return true;
    seen.add(row.eventId);
  }
  return false;
}
