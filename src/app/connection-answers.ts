import { ConnectionsUnreadableError, type ConnectionReplica } from '../connections/replica.ts';
import type { UserIdDirectory } from '../connections/user-ids.ts';
import { DependencyUnavailableError } from '../streams/index.ts';
import type { ConnectionDirectory } from '../verify/connections.ts';
import { applyMigrations } from './migrations.ts';
import type { StageResources } from './resources.ts';

/**
 * A connections replica's answer as a stage uses it: at once when the replica holds the row, else
 * after its confirming read, which pauses the partition (DependencyUnavailableError, retried in
 * 1 s) while Postgres does not answer instead of deciding on a table it could not read.
 */
export function pausingWhenUnreadable<T>(answer: T | Promise<T>): T | Promise<T> {
  if (!(answer instanceof Promise)) return answer;
  return answer.catch((error: unknown) => {
    throw error instanceof ConnectionsUnreadableError ? new DependencyUnavailableError('postgres', 1_000, { cause: error }) : error;
  });
}

/**
 * verify's and normalize's view of vendor_connections: the connections migrations, then the
 * process's replica read in full before the first record (skipped by `bridge describe`, whose
 * graphs never run), its answers pausing while they cannot be confirmed.
 */
export async function stageConnections(resources: StageResources): Promise<UserIdDirectory & ConnectionDirectory> {
  let replica: ConnectionReplica | undefined;
  await resources.startUp(async () => {
    await applyMigrations(resources, 'connections');
    replica = await resources.connectionReplica();
  });
  return {
    userIdFor: (vendor, id, producedAtMs) => (replica === undefined ? undefined : pausingWhenUnreadable(replica.userIdFor(vendor, id, producedAtMs))),
    isConnected: (vendor, id, producedAtMs) => (replica === undefined ? false : pausingWhenUnreadable(replica.isConnected(vendor, id, producedAtMs))),
  };
}
