import { ConnectionsUnreadableError, type ConnectionReplica } from '../connections/replica.ts';
import type { UserIdDirectory } from '../connections/user-ids.ts';
import { DependencyUnavailableError } from '../streams/index.ts';
import type { ConnectionDirectory } from '../verify/connections.ts';
import { applyMigrations } from './migrations.ts';
import { postgresRetryAfterMs, postgresStartUp } from './postgres-start-up.ts';
import type { StageResources } from './resources.ts';

/**
 * A connections replica's answer as a stage uses it: at once when the replica holds the row, else
 * after its confirming read, which pauses the partition (DependencyUnavailableError, retried in
 * 1 s) while Postgres does not answer instead of deciding on a table it could not read.
 */
export function pausingWhenUnreadable<T>(answer: T | Promise<T>): T | Promise<T> {
  if (!(answer instanceof Promise)) return answer;
  return answer.catch((error: unknown) => {
    throw error instanceof ConnectionsUnreadableError ? new DependencyUnavailableError('postgres', postgresRetryAfterMs, { cause: error }) : error;
  });
}

/**
 * verify's and normalize's view of vendor_connections: the connections migrations, then the
 * process's replica read in full, its answers pausing while they cannot be confirmed. While
 * Postgres does not answer at start the stage starts anyway (postgresStartUp): a question pauses
 * its partition until the replica is read, and records that ask none (HealthKit's carry our user
 * ids) go on.
 */
export async function stageConnections(resources: StageResources): Promise<UserIdDirectory & ConnectionDirectory> {
  // Set once the start-up work is done; `bridge describe` (no start-up) never runs its graphs.
  let replica: ConnectionReplica | undefined;
  await postgresStartUp(resources, async () => {
    await applyMigrations(resources, 'connections');
    replica = await resources.connectionReplica();
  });
  const loaded = (): ConnectionReplica => {
    if (!replica) throw new DependencyUnavailableError('postgres', postgresRetryAfterMs);
    return replica;
  };
  return {
    userIdFor: (vendor, id, producedAtMs) => pausingWhenUnreadable(loaded().userIdFor(vendor, id, producedAtMs)),
    isConnected: (vendor, id, producedAtMs) => pausingWhenUnreadable(loaded().isConnected(vendor, id, producedAtMs)),
  };
}
